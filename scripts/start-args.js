// The command line of `npm start` (scripts/start.js): its options, INPUT_X=value task inputs
// checked against task.json, and the nearest valid spelling for a mistake. Pure but for reading
// task.json.
'use strict';
const fs = require('fs');
const path = require('path');

const root = path.resolve(__dirname, '..');

const USAGE = `Usage: npm start [-- OPTIONS] [-- INPUT_NAME=value ...]
Runs the bundled task on images.txt plus two chart lines (one oci://, one HTTP repository),
written to .tmp/start/images.txt, against the local emulator (no Azure account needed).
  --fresh        start from an empty ACR (forget .tmp/start/acr-state.json, what earlier runs left)
  --twice        run the task twice in one go: the second run skips every line
  --verify       verifySignatures cosign: registry.k8s.io/** keyless (the Kubernetes release
                 identity, under the emulator's Sigstore root), quay.io/** with the emulator's key:
                 3 lines verified (one keyless, one the OCI chart), 3 refused (the task fails),
                 3 outside the patterns (one the HTTP chart)
  --latency MS   how long each emulated import takes (default 2000)
  --help         this text
  INPUT_X=value  a task input, as an argument (names from task.json, any case; one of them, or a
                 near misspelling, in npm start's environment is refused: it would not reach the
                 task), e.g.
                 INPUT_IMPORTMODE=force INPUT_DRYRUN=true INPUT_COPYREFERRERS=none
Exit code: 0 when the task Succeeded or SucceededWithIssues (failurePolicy: warn; the pipeline
goes on), 1 when it Failed (with --twice, when either run did), 2 for a bad option, 128+N when
stopped by signal N (130 for Ctrl-C). The JSON result and the summary of each run are kept in
.tmp/start/ (run-1.json, run-1.summary.md).`;

/** The task's input names, from task.json. */
function taskInputs() {
  const task = JSON.parse(
    fs.readFileSync(path.join(root, 'tasks', 'ImportPublicImages', 'task.json'), 'utf8'),
  );
  return task.inputs.map((i) => i.name);
}

/** Levenshtein distance, case-insensitive. */
function distance(a, b) {
  a = a.toLowerCase();
  b = b.toLowerCase();
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = row;
  }
  return prev[b.length];
}

/** The candidate closest to `word`. */
function nearest(word, candidates) {
  let best = candidates[0];
  for (const c of candidates) if (distance(word, c) < distance(word, best)) best = c;
  return best;
}

class UsageError extends Error {}

const FLAGS = ['--fresh', '--twice', '--verify', '--latency', '--help'];

/**
 * The options of `npm start`, or a UsageError naming the argument and the nearest valid one.
 * `inputs` maps INPUT_NAME (upper case, as task-lib reads it) to its value. `env`: npm start's own
 * environment, which it does not hand to the task: an INPUT_X=value there (`INPUT_X=v npm start`,
 * as an agent would pass it) is refused, saying how to write it.
 */
function parseStartArgs(argv, inputNames = taskInputs(), env = {}) {
  const o = { fresh: false, twice: false, verify: false, latency: 2000, help: false, inputs: {} };
  const envNames = inputNames.map((n) => `INPUT_${n.toUpperCase()}`);
  // This task's inputs, or a misspelling of one (within 3 edits): another task's INPUT_X (a
  // pipeline's script step hands its own, INPUT_SCRIPT, to what it runs) is not ours to refuse.
  const ours = (k) => distance(k, nearest(k, envNames)) <= 3;
  const inEnv = Object.keys(env).find((k) => /^INPUT_/i.test(k) && ours(k.toUpperCase()));
  if (inEnv !== undefined) {
    const near = nearest(inEnv.toUpperCase(), envNames);
    // The value is not echoed: it may be a secret (INPUT_DOCKERHUBPASSWORD).
    throw new UsageError(
      `${inEnv} is set in the environment, which npm start does not pass to the task: write it after --, npm start -- ${near}=<its value>`,
    );
  }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const eq = a.indexOf('=');
    const name = eq > 0 ? a.slice(0, eq) : a;
    if (a === '--fresh') o.fresh = true;
    else if (a === '--twice') o.twice = true;
    else if (a === '--verify') o.verify = true;
    else if (a === '--help' || a === '-h') o.help = true;
    else if (name === '--latency') {
      const v = eq > 0 ? a.slice(eq + 1) : argv[++i];
      if (v === undefined || !/^\d+$/.test(v) || Number(v) > 600000)
        throw new UsageError(
          `--latency needs a number of milliseconds (0-600000), e.g. --latency 500`,
        );
      o.latency = Number(v);
    } else if (/^INPUT_/i.test(name) && eq > 0) {
      const upper = name.toUpperCase();
      if (!envNames.includes(upper)) {
        const near = nearest(upper, envNames);
        throw new UsageError(
          `${name} is not an input of the task (tasks/ImportPublicImages/task.json): did you mean ${near}? (${near}${a.slice(eq)})`,
        );
      }
      o.inputs[upper] = a.slice(eq + 1);
    } else if (eq > 0 && !a.startsWith('-')) {
      const near = nearest(`INPUT_${name.toUpperCase()}`, envNames);
      throw new UsageError(
        `${a} is not an option: a task input is written INPUT_NAME=value, did you mean ${near}${a.slice(eq)}?`,
      );
    } else {
      throw new UsageError(`unknown option ${a}: did you mean ${nearest(name, FLAGS)}?`);
    }
  }
  return o;
}

module.exports = { USAGE, UsageError, parseStartArgs, nearest, distance };
