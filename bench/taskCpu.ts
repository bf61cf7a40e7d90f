// Loaded into the bundled task by bench/keyless.ts (`NODE_OPTIONS=--require <this file>`): when the
// task's process exits, prints the CPU it used (user + system, ms) on stderr, for the bench to read.
process.on('exit', () => {
  const used = process.cpuUsage();
  process.stderr.write(`bench-task-cpu-ms ${((used.user + used.system) / 1000).toFixed(1)}\n`);
});
