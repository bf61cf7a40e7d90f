// Values of boolean and pickList inputs, checked strictly. task-lib's getBoolInput reads only
// `true` as true, so `dryRun: yes`, `1` or `on` would silently run a real import; here anything
// but true/false (any case) is refused before the task makes a request. Pure: takes the raw text.

/** How much of a refused value an error message repeats. */
const SHOWN = 60;

function shown(raw: string): string {
  return raw.length > SHOWN ? `${raw.slice(0, SHOWN)}…` : raw;
}

/** `true`/`false` in any case (surrounding blanks ignored); empty or absent means `def`. */
export function parseBoolean(name: string, raw: string | undefined, def: boolean): boolean {
  const v = raw?.trim() ?? '';
  if (v === '') return def;
  const lower = v.toLowerCase();
  if (lower === 'true') return true;
  if (lower === 'false') return false;
  throw new Error(
    `Input ${name} must be true or false (in any case), not "${shown(v)}"; write ${name}: true or ${name}: false. Nothing was done.`,
  );
}

/** One of `allowed` in any case (returned as written in `allowed`); empty or absent means `def`. */
export function parseChoice<T extends string>(
  name: string,
  raw: string | undefined,
  allowed: readonly T[],
  def: T,
): T {
  const v = raw?.trim() ?? '';
  if (v === '') return def;
  const found = allowed.find((a) => a.toLowerCase() === v.toLowerCase());
  if (found !== undefined) return found;
  throw new Error(
    `Input ${name} must be one of ${allowed.join(', ')} (in any case), not "${shown(v)}"; write for example ${name}: ${def}. Nothing was done.`,
  );
}
