// Where secrets may go, checked once for the e2e suites: what a user or a later pipeline step can
// read of a run holds no secret, no value the task masked and nothing shaped like a JWT; a
// registry user's credentials are presented only to its own registry.
import assert from 'node:assert/strict';
import type { RequestLogEntry } from '../helpers/emulator';
import type { TaskRun } from './runTask';

const JWT = /eyJ[\w-]{8,}\.eyJ[\w-]{8,}\.[\w-]+/;

export interface LeakSweep {
  /** Values that must appear nowhere, besides every value the task passed to setsecret (always). */
  secrets?: readonly string[];
  /**
   * Sweep task.debug lines of stdout as shown too. By default they are left out: the agent shows
   * them only in debug mode and masks the service connection's own secret there (azure-arm-rest
   * debug-logs it). stdout as written is always swept without them.
   */
  debug?: boolean;
}

/**
 * stdout as the agent shows it and as the task wrote it (without the setsecret commands that
 * register the values), stderr, the summary and the JSON result hold no secret, no masked value and
 * no token. A failure names the place and the line, with the value replaced by <SECRET>.
 */
export function assertNoSecretShown(run: TaskRun, sweep: LeakSweep = {}): void {
  const keep = (debug: boolean) => (text: string) =>
    text
      .split('\n')
      .filter((l) => !l.includes('##vso[task.setsecret]'))
      .filter((l) => debug || !l.startsWith('##vso[task.debug]'))
      .join('\n');
  const places: [string, string][] = [
    ['stdout as shown', keep(sweep.debug ?? false)(run.visible)],
    ['stdout as written', keep(false)(run.stdout)],
    ['stderr', run.stderr],
    ['summary', run.summary ?? ''],
    ['result', JSON.stringify(run.result ?? {})],
  ];
  const values = [...new Set([...(sweep.secrets ?? []), ...run.secrets])].filter((v) => v !== '');
  for (const [place, text] of places) {
    for (const v of values) {
      const line = text.split('\n').find((l) => l.includes(v));
      assert.equal(line, undefined, `${place} holds a secret: ${line?.split(v).join('<SECRET>')}`);
    }
    const token = JWT.exec(text);
    assert.equal(token, null, `${place} holds a token (${token?.[0].slice(0, 12)}...)`);
  }
}

/** Token requests carried `user`'s Basic credentials (the digest check used them), only at `host`. */
export function assertCredentialsOnlyAt(log: RequestLogEntry[], user: string, host: string): void {
  const asks = log.filter((e) => e.authUser === user);
  assert.ok(asks.length > 0, `no token request carried ${user}'s credentials`);
  assert.deepEqual(
    asks.filter((e) => e.host !== host).map((e) => `${e.method} ${e.host}${e.path}`),
    [],
    `${user}'s credentials presented beyond ${host}`,
  );
}
