// The restore drill's script, run for real by the shell with the real jq, against a fake kubectl
// that plays the API server (and a sleep that returns at once): it must pass on a good restore and
// fail loudly, cleaning up, on every bad one.
import { cachedImage } from "../../components/security/image-cache";
import { expectProblem, problems, settingsOf } from "../fixtures";
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { DRILL, type DrillNames, drillScript } from "../../components/backups/restore-drill";
import { CANARY, canaryMarker, checksumProbe, seedScript } from "../../components/backups/restore-canary";

/**
 * Answers each kubectl call the drill makes from FAKE_* variables, logs every call, keeps the
 * Restore it is given, and refuses any call it does not expect.
 */
const FAKE_KUBECTL = `#!/bin/sh
echo "$*" >> "$FAKE_DIR/calls"
case "$*" in
  "delete namespace $SCRATCH --ignore-not-found --wait=true") ;;
  "-n $VELERO_NAMESPACE get backups.velero.io -l velero.io/schedule-name=$SCHEDULE,velero.io/storage-location=$LOCATION -o json") printf '%s' "$FAKE_BACKUPS" ;;
  "-n $VELERO_NAMESPACE get backups.velero.io "*" -o jsonpath={.status.progress.itemsBackedUp}") printf '%s' "$FAKE_ITEMS" ;;
  "create -f -") cat > "$FAKE_DIR/restore.yaml" ;;
  "-n $VELERO_NAMESPACE get restores.velero.io "*" -o jsonpath={.status.phase}") printf '%s' "$FAKE_PHASE" ;;
  "-n $VELERO_NAMESPACE get restores.velero.io "*" -o jsonpath={.status.progress.totalItems}") printf '%s' "$FAKE_TOTAL" ;;
  "-n $VELERO_NAMESPACE get restores.velero.io "*" -o jsonpath={.status.progress.itemsRestored}") printf '%s' "$FAKE_RESTORED" ;;
  "-n $SCRATCH get configmap $CANARY -o jsonpath={.data.marker}") printf '%s' "$FAKE_SCRATCH_MARKER" ;;
  "-n $SCRATCH get configmap $CANARY -o jsonpath={.data.sha256}") printf '%s' "$FAKE_SHA256" ;;
  "-n $SCRATCH get deployment $CANARY -o jsonpath={.status.readyReplicas}") printf '%s' "$FAKE_READY" ;;
  "-n $VELERO_NAMESPACE delete restores.velero.io "*" --ignore-not-found") ;;
  *) echo "fake kubectl: unexpected call: $*" >&2; exit 2 ;;
esac
`;

const backup = (name: string, phase: string, completed: string) => ({
    metadata: { name },
    status: { phase, completionTimestamp: completed },
});

/** A good week: the newest completed backup restores whole and the canary comes back intact, volume included. */
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
    FAKE_SCRATCH_MARKER: canaryMarker("platform-test"),
    FAKE_SHA256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    // The restored canary's pod is Ready: its volume matches the checksum recorded at install.
    FAKE_READY: "1",
};

interface Drill {
    status: number | null;
    stdout: string;
    stderr: string;
    calls: string[];
    restore: string;
}

function runDrill(world: Partial<typeof GOOD>, drill: DrillNames = DRILL): Drill {
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
                LOCATION: drill.location,
                SOURCE: DRILL.source,
                SCRATCH: drill.scratch,
                CANARY: DRILL.canary,
                EXPECTED_MARKER: canaryMarker("platform-test"),
                DRILL: drill.name,
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
        assert.match(
            drill.stdout,
            new RegExp(
                `restore drill passed: daily-20261203030000 restored 3 of 3 items, canary volume intact \\(sha256 ${GOOD.FAKE_SHA256}\\)`,
            ),
        );
        assert.match(drill.restore, /backupName: daily-20261203030000\n/, "the newest Completed backup, not the newer PartiallyFailed one");
        assert.match(drill.restore, new RegExp(`namespaceMapping: \\{"${DRILL.source}": "${DRILL.scratch}"\\}`));
        assert.match(drill.restore, /restorePVs: true/, "the canary's volume comes back with it");
        assertCleanedUp(drill);
    });

    it("restores another region's replica from its read-only location into its own scratch namespace", () => {
        const drill = runDrill({}, DRILL.replica);
        assert.equal(drill.status, 0, drill.stderr);
        assert.ok(drill.calls.some((call) => call.includes(`velero.io/storage-location=${DRILL.replica.location}`)));
        assert.match(drill.restore, new RegExp(`namespaceMapping: \\{"${DRILL.source}": "${DRILL.replica.scratch}"\\}`));
        assert.equal(drill.calls.at(-2), `delete namespace ${DRILL.replica.scratch} --ignore-not-found --wait=true`);
    });

    for (const [failure, world, message] of [
        ["a partially failed restore", { FAKE_PHASE: "PartiallyFailed" }, /ended in phase 'PartiallyFailed'/],
        ["a restore that never finishes", { FAKE_PHASE: "InProgress" }, /ended in phase 'InProgress'/],
        [
            "a canary that comes back different",
            { FAKE_SCRATCH_MARKER: "something else" },
            /the restored restore-drill-canary differs from the original/,
        ],
        ["a canary volume whose content does not match its checksum", { FAKE_READY: "" }, /never passed the checksum check/],
        ["a backup without the canary's checksum", { FAKE_SHA256: "" }, /holds no checksum of the canary volume/],
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
        assert.match(drill.stderr, /RESTORE DRILL FAILED: no completed backup of schedule daily in location default/);
        assert.equal(drill.restore, "");
    });

    it("polls a restore in progress ninety times, ten seconds apart, before giving up", () => {
        const drill = runDrill({ FAKE_PHASE: "InProgress" });
        const polls = drill.calls.filter((call) => call.endsWith("-o jsonpath={.status.phase}")).length;
        assert.equal(polls, 90, "ninety polls, ten seconds apart: fifteen minutes of the drill's hour");
    });
});

/**
 * The canary's own scripts, run by the shell against a temporary directory standing in for the
 * volume and the mounted ConfigMap, with a fake kubectl that records the checksum patch the way
 * the API server and kubelet would show it (the ConfigMap's new key appears as a file).
 */
describe("restore canary scripts", function () {
    this.timeout(30_000);
    let dir: string;
    const mounted = (text: string) => text.replaceAll("/data", `${dir}/data`).replaceAll(CANARY.recorded, `${dir}/recorded`);
    const run = (script: string) => {
        const fake = `#!/bin/sh
echo "$*" >> "${dir}/calls"
sum=$(printf '%s' "$*" | sed -n 's/.*"sha256":"\\([0-9a-f]*\\)".*/\\1/p')
printf '%s' "$sum" > "${dir}/recorded/sha256"
`;
        writeFileSync(path.join(dir, "kubectl"), fake);
        chmodSync(path.join(dir, "kubectl"), 0o755);
        return spawnSync("sh", ["-c", mounted(script)], { encoding: "utf8", env: { ...process.env, PATH: `${dir}:${process.env.PATH}` } });
    };
    const calls = () => (existsSync(path.join(dir, "calls")) ? readFileSync(path.join(dir, "calls"), "utf8").trim().split("\n") : []);

    beforeEach(() => {
        dir = mkdtempSync(path.join(tmpdir(), "canary-"));
        mkdirSync(path.join(dir, "data"));
        mkdirSync(path.join(dir, "recorded"));
    });
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    it("writes a megabyte of data once, records its checksum in the ConfigMap, and then checks it", () => {
        assert.equal(run(seedScript()).status, 0);
        const data = readFileSync(path.join(dir, "data", "canary.bin"));
        assert.equal(data.length, CANARY.sizeBytes);
        const recorded = readFileSync(path.join(dir, "recorded", "sha256"), "utf8");
        assert.equal(recorded, createHash("sha256").update(data).digest("hex"));
        assert.match(calls()[0], new RegExp(`^-n ${CANARY.namespace} patch configmap ${CANARY.name} --type merge -p`));
        assert.equal(run(checksumProbe()).status, 0, "the probe passes on the written file");

        // A later start, or a restored copy, keeps the file and records nothing.
        assert.equal(run(seedScript()).status, 0);
        assert.equal(calls().length, 1);
        assert.deepEqual(readFileSync(path.join(dir, "data", "canary.bin")), data);
    });

    it("fails the check when a single byte of the volume differs, and refuses to start when the file is gone", () => {
        assert.equal(run(seedScript()).status, 0);
        const file = path.join(dir, "data", "canary.bin");
        const data = readFileSync(file);
        data[data.length >> 1] ^= 0xff;
        writeFileSync(file, data);
        assert.notEqual(run(checksumProbe()).status, 0, "a changed byte fails the readiness probe");

        rmSync(file);
        const restart = run(seedScript());
        assert.equal(restart.status, 1, "a recorded checksum without its file: the volume lost its data");
        assert.match(restart.stderr, /the volume lost its data/);
        assert.equal(calls().length, 1, "and nothing new is recorded over the old checksum");
    });

    it("fails the check while no checksum is recorded", () => {
        writeFileSync(path.join(dir, "data", "canary.bin"), "x");
        assert.notEqual(run(checksumProbe()).status, 0);
    });
});

describe("the drill image's cache", () => {
    it("maps a Docker Hub image pinned by digest to the region's ECR cache, official images under library/", () => {
        const digest = `sha256:${"ab".repeat(32)}`;
        const registry = "111122223333.dkr.ecr.eu-west-1.amazonaws.com";
        assert.equal(cachedImage(`docker.io/alpine/k8s:1.35.0@${digest}`, registry), `${registry}/docker-hub/alpine/k8s:1.35.0@${digest}`);
        assert.equal(cachedImage(`docker.io/alpine:3.22@${digest}`, registry), `${registry}/docker-hub/library/alpine:3.22@${digest}`);
        // By tag, which fills the cache: a pull by digest finds only what a pull by tag has cached.
        assert.equal(cachedImage(`docker.io/alpine:3.22@${digest}`, registry, true), `${registry}/docker-hub/library/alpine:3.22`);
        assert.throws(() => cachedImage("docker.io/alpine/k8s:1.35.0", registry), /not a Docker Hub image with a tag, pinned by digest/);
    });

    it("refuses, before anything is created, an unpinned drill image and an allowlist without each region's ECR", () => {
        expectProblem(
            problems("staging", (s) => (s.versions.images.restoreDrill = "docker.io/alpine/k8s:1.35.0")),
            "versions.images.restoreDrill",
            "pinned by digest",
        );
        const region = settingsOf("staging").regions[0].region as string;
        expectProblem(
            problems("staging", (s) => {
                s.policies.allowedRegistries.registries = s.policies.allowedRegistries.registries.filter(
                    (r: string) => !r.includes(".dkr.ecr."),
                );
            }),
            "policies.allowedRegistries.registries",
            `names no ECR registry of ${region}`,
        );
    });
});
