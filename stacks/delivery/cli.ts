// How the project's command-line entry points end: the exit code main returns, or 1 with the
// message of what it threw (these are reports for people, not stack traces).
export function runMain(main: (argv: string[]) => number): void {
    try {
        process.exitCode = main(process.argv.slice(2));
    } catch (error) {
        console.error(error instanceof Error ? error.message : error);
        process.exitCode = 1;
    }
}
