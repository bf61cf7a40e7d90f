// Which source registries of the run have the OCI 1.1 referrers API, learnt from the first answer
// and shared by every line: while one line's first referrers request to a registry is in flight,
// the other lines of that registry wait for its answer instead of asking too (a run of 1,000 quay.io
// lines sent 8 such probes, one per concurrent line, before quay.io's 404 was known), for 2 s at most
// (a probe that hangs does not hold the others). A probe that gets no decisive answer (a 5xx, a
// lost connection) teaches nothing: the next line probes again.
import type { HttpResponse } from './http';

/** A first referrers page answered with one of these: the registry has no referrers API. */
export const NO_REFERRERS_API = [404, 400, 405, 501];

/** How long a line waits for another line's probe of the same registry before asking itself. */
export const PROBE_WAIT_MS = 2_000;

/** Whether `pending` settled within `ms` (the timer never keeps the process alive). */
async function answeredWithin(pending: Promise<void>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
    timer.unref();
  });
  try {
    return await Promise.race([pending.then(() => true), late]);
  } finally {
    clearTimeout(timer);
  }
}

export class ReferrersApis {
  /** Registries that answered a first referrers request with NO_REFERRERS_API. */
  readonly without = new Set<string>();
  /** Registries whose first answer was decisive (the API, or none). */
  private readonly known = new Set<string>();
  /** A probe in flight per registry, settled (never rejected) once its answer is in. */
  private readonly probes = new Map<string, Promise<void>>();

  /** Whether `registry` is known to have no referrers API. */
  lacks(registry: string): boolean {
    return this.without.has(registry);
  }

  /**
   * The first referrers page of a subject on `registry`: `send()`'s answer, or undefined when the
   * registry is known to have no API (then nothing was sent). While another line's probe of
   * `registry` is in flight, this waits for its answer first.
   */
  async first(
    registry: string,
    send: () => Promise<HttpResponse>,
  ): Promise<HttpResponse | undefined> {
    let waited = false;
    for (let pending = this.probes.get(registry); pending; pending = this.probes.get(registry)) {
      // Another line's probe: its answer, or PROBE_WAIT_MS at most. A probe that hangs (one
      // repository of the registry trickling its answer) must not hold every other line of the
      // registry until its deadline: past the wait, this line asks for itself.
      if (!(await answeredWithin(pending, PROBE_WAIT_MS))) {
        waited = true;
        break;
      }
    }
    if (this.without.has(registry)) return undefined;
    if (this.known.has(registry)) return send();
    const probe = send().then((res) => {
      if (NO_REFERRERS_API.includes(res.status)) this.without.add(registry);
      if (res.status === 200 || NO_REFERRERS_API.includes(res.status)) this.known.add(registry);
      return res;
    });
    if (waited) return probe; // the hanging probe stays the one others wait for
    const settled = (): void => void this.probes.delete(registry);
    this.probes.set(registry, probe.then(settled, settled));
    return probe;
  }
}
