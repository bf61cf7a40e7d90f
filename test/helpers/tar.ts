// Reading a tar archive's entry names in tests (ustar: prefix + name), without extracting it.

/** The names of a tar archive's entries (ustar: prefix + name). */
export function tarNames(tar: Buffer): string[] {
  const names: string[] = [];
  for (let o = 0; o + 512 <= tar.length;) {
    const field = (at: number, len: number) =>
      tar
        .subarray(o + at, o + at + len)
        .toString('utf8')
        .replace(/\0.*$/s, '');
    const name = field(0, 100);
    if (!name) break;
    const prefix = field(345, 155);
    names.push(prefix ? `${prefix}/${name}` : name);
    o += 512 + Math.ceil(parseInt(field(124, 12), 8) / 512) * 512;
  }
  return names;
}
