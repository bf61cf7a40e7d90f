// images.txt, the example list a user copies, read with the task's own grammar (core/imageList.ts).
// The e2e suites that run it whole derive from it the counts, line numbers and names they assert,
// so that editing images.txt (adding or removing a line) does not break them. What they still need
// of it: every line is one the emulator serves (test/emulator/fixtures.json), and it has at least
// one line pinned by a tag only (a tag the emulator can move). Suites whose subject is something
// else run their own lists.
import fs from 'node:fs';
import path from 'node:path';
import {
  parseImageList,
  type ImageEntry,
} from '../../tasks/ImportPublicImages/src/core/list/imageList';
import { SIGNED_IMAGES } from '../emulator/signatures';

const root = path.resolve(__dirname, '..', '..', '..');

/** The repository's images.txt. */
export const EXAMPLE_LIST_PATH = path.join(root, 'images.txt');

/** The entries of a list's text (its image and chart lines, in line order); throws on a bad list. */
export function listEntries(text: string, file: string): readonly ImageEntry[] {
  const parsed = parseImageList(text);
  const problems = [...parsed.errors, ...parsed.warnings];
  if (problems.length > 0)
    throw new Error(`${file} is not a clean list: ${problems.map((p) => p.line).join(', ')}`);
  return parsed.entries;
}

/** images.txt's entries, in line order. */
export const EXAMPLE: readonly ImageEntry[] = listEntries(
  fs.readFileSync(EXAMPLE_LIST_PATH, 'utf8'),
  EXAMPLE_LIST_PATH,
);

/** images.txt's number of image lines. */
export const EXAMPLE_COUNT = EXAMPLE.length;

/** images.txt's lines as the task reads them (comments and blank lines left out). */
export const EXAMPLE_LINES: readonly string[] = EXAMPLE.map((e) => e.text);

/** The source registries of images.txt's lines. */
export const EXAMPLE_REGISTRIES: ReadonlySet<string> = new Set(
  EXAMPLE.map((e) => e.source.registry),
);

/** The first target of an entry, `repository:tag` as in the ACR. */
export const targetOf = (e: ImageEntry): string => `${e.targetRepository}:${e.targetTags[0]}`;

/**
 * The emulator's fault match (`match.target`) for this entry's import only: ARM's importImage
 * targets read `ACR:repository:tag` there, so a leading colon keeps `x/controller` from matching
 * `y/x/controller`.
 */
export const faultTarget = (e: ImageEntry): string => `:${targetOf(e)}`;

/**
 * A line of images.txt pinned by a tag only (a tag can move upstream), imported by no other line
 * and to one target: the line a test moves a tag under, or makes fail. The last such line, so
 * that it is not simply the first one the log shows. `also`: a further condition, and its words.
 */
export function exampleVictim(
  also: { test: (e: ImageEntry) => boolean; what: string } = { test: () => true, what: '' },
): ImageEntry {
  const sameSource = (e: ImageEntry): number =>
    EXAMPLE.filter(
      (o) =>
        o.source.registry === e.source.registry &&
        o.source.repository === e.source.repository &&
        o.source.tag === e.source.tag,
    ).length;
  const found = EXAMPLE.filter(
    (e) =>
      !e.chart &&
      e.source.tag !== undefined &&
      e.source.digest === undefined &&
      e.targetTags.length === 1 &&
      sameSource(e) === 1 &&
      also.test(e),
  ).at(-1);
  if (!found)
    throw new Error(
      `${EXAMPLE_LIST_PATH} has no line pinned by a tag only${also.what}: an e2e test needs one`,
    );
  return found;
}

/** What verifySignatures cosign-key with the emulator's key makes of a line. */
export type VerifyOutcome = 'verified' | 'unsigned' | 'wrongDigest' | 'otherKey' | 'notVerified';

/**
 * The outcome of cosign-key verification of `e` with the patterns `HOST/** => <the emulator's
 * key>` for each of `hosts`, from what the emulator signs (test/emulator/signatures.ts
 * SIGNED_IMAGES; every other image is unsigned). For lines pinned by a tag.
 */
export function verifyOutcome(e: ImageEntry, hosts: readonly string[]): VerifyOutcome {
  if (!hosts.includes(e.source.registry)) return 'notVerified';
  const signed = signedImageOf(e);
  if (!signed) return 'unsigned';
  return signed.cosign === 'good' ? 'verified' : signed.cosign;
}

/** Whether the emulator logged the line's key signature in its Rekor (a Rekor bundle on the layer). */
export function rekorLogged(e: ImageEntry): boolean {
  const signed = signedImageOf(e);
  return signed?.rekor === true && signed.cosign === 'good';
}

function signedImageOf(e: ImageEntry) {
  return SIGNED_IMAGES.find(
    (s) =>
      s.host === e.source.registry &&
      s.repository === e.source.repository &&
      s.tag === e.source.tag,
  );
}
