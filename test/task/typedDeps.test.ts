// The steps' dependencies are typed so that a rename or a dropped dependency is a compile error,
// not a silent change of behaviour (issue 20): with option bags built by spreading the task's
// inputs, renaming TaskInputs.allowUpdates switched the allowUpdates: false policy off, and
// dropping the gate or the registries from the import bag gave imports a throttle gate of their
// own. Each case here edits the real source in memory (nothing on disk changes), type-checks the
// task with the TypeScript compiler and the project's tsconfig, and expects the error where the
// edit breaks the wiring; the unedited source type-checks clean (so no case passes vacuously).
import assert from 'node:assert/strict';
import * as path from 'node:path';
import ts from 'typescript';

const root = path.resolve(__dirname, '../../..'); // build/test/unit -> the repository
const src = path.join(root, 'tasks/ImportPublicImages/src');

/** The project's compiler options (tsconfig.json), not emitting. */
function options(): ts.CompilerOptions {
  const file = path.join(root, 'tsconfig.json');
  const config = ts.readConfigFile(file, (f) => ts.sys.readFile(f));
  const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, root);
  return { ...parsed.options, noEmit: true };
}

/** A source edit: in `file` (under src/), `from` (which must be there) becomes `to`. */
interface Edit {
  file: string;
  from: string | RegExp;
  to: string;
}

/** Where the steps' dependencies are built (flow.ts, main.ts) and the inputs they come from. */
const CHECKED = ['main.ts', 'flow.ts', 'ado/inputs.ts'];

const cache = new Map<string, ts.SourceFile>();
let previous: ts.Program | undefined;

/** The errors in CHECKED with `edits` applied, as `file:line message`. */
function typeErrors(edits: readonly Edit[]): string[] {
  const opts = options();
  const host = ts.createCompilerHost(opts);
  const edited = new Map<string, string>();
  for (const e of edits) {
    const file = path.join(src, e.file);
    const text = edited.get(file) ?? (ts.sys.readFile(file) as string);
    const next = text.replace(e.from, e.to);
    assert.notEqual(next, text, `${e.file} has ${String(e.from)}: the case edits nothing`);
    edited.set(file, next);
  }
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (name, lang, onError) => {
    const text = edited.get(path.resolve(name));
    if (text !== undefined) return ts.createSourceFile(name, text, lang);
    let sf = cache.get(name);
    if (!sf) cache.set(name, (sf = getSourceFile(name, lang, onError) as ts.SourceFile));
    return sf;
  };
  const program = ts.createProgram([path.join(src, 'main.ts')], opts, host, previous);
  previous = program;
  // The files the edits touch and where the steps are wired: checking them alone (their imports'
  // types are read, not checked again) keeps each case to a few seconds.
  const checked = CHECKED.map((f) => program.getSourceFile(path.join(src, f)) as ts.SourceFile);
  const diagnostics = checked.flatMap((sf) => [
    ...program.getSyntacticDiagnostics(sf),
    ...program.getSemanticDiagnostics(sf),
  ]);
  return diagnostics.map((d) => {
    const where = d.file
      ? `${path.relative(src, d.file.fileName)}:${d.file.getLineAndCharacterOfPosition(d.start ?? 0).line + 1}`
      : '';
    return `${where} ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
  });
}

describe('typed step dependencies: a rename or a dropped dependency does not compile', function () {
  this.timeout(120_000); // the compiler reads the task and its libraries' types once

  it('the task as it is type-checks clean', () => {
    assert.deepEqual(typeErrors([]), []);
  });

  it('renaming TaskInputs.allowUpdates: the flow no longer compiles where it reads the policy', () => {
    const errors = typeErrors([
      {
        file: 'ado/inputs.ts',
        from: /\n {2}allowUpdates: boolean;/,
        to: '\n  allowOverwrites: boolean;',
      },
    ]);
    const reads = errors.filter((e) =>
      /^flow\.ts:\d+ Property 'allowUpdates' does not exist on type 'TaskInputs'/.test(e),
    );
    assert.ok(reads.length >= 2, `the decide and carry steps' allowUpdates:\n${errors.join('\n')}`);
  });

  it("dropping the import step's `landed` registries (once `registries`) is a missing property", () => {
    const errors = typeErrors([
      { file: 'flow.ts', from: /\n *landed: \{ sources, dataPlane, credentials \},/, to: '' },
    ]);
    assert.ok(
      errors.some((e) => /^flow\.ts:\d+ .*Property 'landed' is missing/s.test(e)),
      errors.join('\n'),
    );
  });

  it("dropping the run's throttle gate from the context is a missing property, not a gate of the imports' own", () => {
    const errors = typeErrors([
      { file: 'main.ts', from: ', gate: new ThrottleGate(systemClock) }', to: ' }' },
    ]);
    assert.ok(
      errors.some((e) => /^main\.ts:\d+ .*Property 'gate' is missing/s.test(e)),
      errors.join('\n'),
    );
  });

  it('a policy left out of a step is a missing property (allowUpdates is required, not optional)', () => {
    const errors = typeErrors([
      {
        file: 'flow.ts',
        from: /\n {4}allowUpdates: inputs\.allowUpdates,\n {4}loginServer,/,
        to: '\n    loginServer,',
      },
    ]);
    assert.ok(
      errors.some((e) => /^flow\.ts:\d+ .*Property 'allowUpdates' is missing/s.test(e)),
      errors.join('\n'),
    );
  });
});
