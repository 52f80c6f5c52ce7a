// Building the platform in turns of the event loop. A Pulumi program registers a resource when
// it constructs it, but the SDK sends the registration only in later turns, once its inputs are
// known; until then the program holds the pending work of every resource built so far. The
// platform yields a turn between regions and between a region's components (`nextTurn`), so that
// what was built is sent before more is built. A deployment is the same: resources, dependencies
// and outputs do not depend on when a registration is sent. Planned offline, where each
// registration is answered at once, the program then holds the pending work of one component at
// a time instead of the whole stack's (see the README's benchmark figures).

/** A turn of the event loop: registrations of what was built so far are sent first. */
export const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
