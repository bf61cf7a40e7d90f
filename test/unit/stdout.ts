// What a function writes to stdout while it runs (the output door and task-lib write there, as the
// agent reads it), captured instead of shown.
export function captureStdout<T>(f: () => T): { value: T; text: string } {
  const chunks: string[] = [];
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((c: string | Uint8Array) => {
    chunks.push(String(c));
    return true;
  }) as typeof process.stdout.write;
  try {
    const value = f();
    return { value, text: chunks.join('') };
  } finally {
    process.stdout.write = write;
  }
}
