// The restore drill's script, run for real by the shell with the real jq, against a fake kubectl
// that plays the API server (and a sleep that returns at once): it must pass on a good restore and
// fail loudly, cleaning up, on every bad one.
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { DRILL, drillScript } from "../../components/backups/restore-drill";

/**
 * Answers each kubectl call the drill makes from FAKE_* variables, logs every call, keeps the
 * Restore it is given, and refuses any call it does not expect.
 */
const FAKE_KUBECTL = `#!/bin/sh
echo "$*" >> "$FAKE_DIR/calls"
case "$*" in
  "delete namespace $SCRATCH --ignore-not-found --wait=true") ;;
  "-n $VELERO_NAMESPACE get backups.velero.io -l velero.io/schedule-name=$SCHEDULE -o json") printf '%s' "$FAKE_BACKUPS" ;;
  "-n $VELERO_NAMESPACE get backups.velero.io "*" -o jsonpath={.status.progress.itemsBackedUp}") printf '%s' "$FAKE_ITEMS" ;;
  "create -f -") cat > "$FAKE_DIR/restore.yaml" ;;
  "-n $VELERO_NAMESPACE get restores.velero.io "*" -o jsonpath={.status.phase}") printf '%s' "$FAKE_PHASE" ;;
  "-n $VELERO_NAMESPACE get restores.velero.io "*" -o jsonpath={.status.progress.totalItems}") printf '%s' "$FAKE_TOTAL" ;;
  "-n $VELERO_NAMESPACE get restores.velero.io "*" -o jsonpath={.status.progress.itemsRestored}") printf '%s' "$FAKE_RESTORED" ;;
  "-n $SOURCE get configmap $CANARY -o jsonpath={.data.marker}") printf '%s' "$FAKE_SOURCE_MARKER" ;;
  "-n $SCRATCH get configmap $CANARY -o jsonpath={.data.marker}") printf '%s' "$FAKE_SCRATCH_MARKER" ;;
  "-n $VELERO_NAMESPACE delete restores.velero.io "*" --ignore-not-found") ;;
  *) echo "fake kubectl: unexpected call: $*" >&2; exit 2 ;;
esac
`;

const backup = (name: string, phase: string, completed: string) => ({
    metadata: { name },
    status: { phase, completionTimestamp: completed },
});

/** A good week: the newest completed backup restores whole and the canary comes back intact. */
const GOOD = {
    FAKE_BACKUPS: JSON.stringify({
        items: [
            backup("daily-20261201030000", "Completed", "2026-12-01T03:05:00Z"),
            backup("daily-20261203030000", "Completed", "2026-12-03T03:05:00Z"),
            backup("daily-20261204030000", "PartiallyFailed", "2026-12-04T03:05:00Z"),
            backup("daily-20261202030000", "Completed", "2026-12-02T03:05:00Z"),
        ],
    }),
    FAKE_ITEMS: "42",
    FAKE_PHASE: "Completed",
    FAKE_TOTAL: "3",
    FAKE_RESTORED: "3",
    FAKE_SOURCE_MARKER: "platform-test restore drill canary",
    FAKE_SCRATCH_MARKER: "platform-test restore drill canary",
};

interface Drill {
    status: number | null;
    stdout: string;
    stderr: string;
    calls: string[];
    restore: string;
}

function runDrill(world: Partial<typeof GOOD>): Drill {
    const dir = mkdtempSync(path.join(tmpdir(), "drill-"));
    try {
        for (const [tool, text] of [
            ["kubectl", FAKE_KUBECTL],
            ["sleep", "#!/bin/sh\nexit 0\n"],
        ]) {
            writeFileSync(path.join(dir, tool), text);
            chmodSync(path.join(dir, tool), 0o755);
        }
        writeFileSync(path.join(dir, "drill.sh"), drillScript());
        const run = spawnSync("sh", [path.join(dir, "drill.sh")], {
            encoding: "utf8",
            timeout: 20_000,
            env: {
                ...process.env,
                PATH: `${dir}:${process.env.PATH}`,
                FAKE_DIR: dir,
                ...GOOD,
                ...world,
                VELERO_NAMESPACE: "velero",
                SCHEDULE: "daily",
                SOURCE: DRILL.source,
                SCRATCH: DRILL.scratch,
                CANARY: DRILL.canary,
                DRILL: DRILL.name,
            },
        });
        const read = (file: string) => {
            try {
                return readFileSync(path.join(dir, file), "utf8");
            } catch {
                return "";
            }
        };
        return {
            status: run.status,
            stdout: run.stdout,
            stderr: run.stderr,
            calls: read("calls").trim().split("\n"),
            restore: read("restore.yaml"),
        };
    } finally {
        rmSync(dir, { recursive: true, force: true });
    }
}

/** The drill removed its scratch namespace and its Restore on the way out. */
function assertCleanedUp(drill: Drill): void {
    const last = drill.calls.slice(-2);
    assert.equal(last[0], `delete namespace ${DRILL.scratch} --ignore-not-found --wait=true`);
    assert.match(last[1], new RegExp(`^-n velero delete restores\\.velero\\.io ${DRILL.name}-\\d{14} --ignore-not-found$`));
}

describe("restore drill script", function () {
    // Each case starts a shell, the fake kubectl and jq a few dozen times.
    this.timeout(30_000);

    it("passes when the newest completed backup restores whole with the canary intact, and cleans up", () => {
        const drill = runDrill({});
        assert.equal(drill.status, 0, drill.stderr);
        assert.match(drill.stdout, /restore drill passed: daily-20261203030000 restored 3 of 3 items, canary intact/);
        assert.match(drill.restore, /backupName: daily-20261203030000\n/, "the newest Completed backup, not the newer PartiallyFailed one");
        assert.match(drill.restore, new RegExp(`namespaceMapping: \\{"${DRILL.source}": "${DRILL.scratch}"\\}`));
        assertCleanedUp(drill);
    });

    for (const [failure, world, message] of [
        ["a partially failed restore", { FAKE_PHASE: "PartiallyFailed" }, /ended in phase 'PartiallyFailed'/],
        ["a restore that never finishes", { FAKE_PHASE: "InProgress" }, /ended in phase 'InProgress'/],
        ["a canary that comes back different", { FAKE_SCRATCH_MARKER: "something else" }, /the restored canary differs from the original/],
        ["a restore of fewer items than the backup holds", { FAKE_RESTORED: "2" }, /restored 2 of the 3 items/],
    ] as const) {
        it(`fails loudly on ${failure}, and cleans up`, () => {
            const drill = runDrill(world);
            assert.equal(drill.status, 1, drill.stdout);
            assert.match(drill.stderr, /^RESTORE DRILL FAILED: /m);
            assert.match(drill.stderr, message);
            assert.doesNotMatch(drill.stdout, /restore drill passed/);
            assertCleanedUp(drill);
        });
    }

    it("fails loudly when the schedule has no completed backup, before creating a restore", () => {
        const drill = runDrill({ FAKE_BACKUPS: JSON.stringify({ items: [backup("daily-1", "Failed", "2026-12-01T03:05:00Z")] }) });
        assert.equal(drill.status, 1);
        assert.match(drill.stderr, /RESTORE DRILL FAILED: no completed backup of schedule daily/);
        assert.equal(drill.restore, "");
    });

    it("polls a restore in progress ninety times, ten seconds apart, before giving up", () => {
        const drill = runDrill({ FAKE_PHASE: "InProgress" });
        const polls = drill.calls.filter((call) => call.endsWith("-o jsonpath={.status.phase}")).length;
        assert.equal(polls, 90, "ninety polls, ten seconds apart: fifteen minutes of the drill's hour");
    });
});
