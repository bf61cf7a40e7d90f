// The plan a reviewer reads (a dry run, or a pull-request build): it leads with what would
// change (lines to import, tags that would move, lines that could not be checked, failures),
// each with the source digest now and, for a moved tag, the digest the target holds; the lines
// already up to date are one count. Pure: the summary tab and the pull-request comment show it.
import { referrersCell, rekorNote, type ImageResult, type RunResult } from './report';
import { mdt, mdCode, mdJoin, trusted, type Markdown } from './safeText';

export type PlanChange = 'import' | 'update' | 'unverified' | 'failed' | 'up to date';

/** What a line of the plan would do, as a reviewer says it. */
export function planChange(i: ImageResult): PlanChange {
  if (i.status === 'failed' || i.status === 'timed-out') return 'failed';
  if (i.action === 'update') return 'update';
  // force over a target holding other bytes moves the tag, as an update does
  if (i.action === 'force' && typeof i.previousDigest === 'string' && i.previousDigest !== i.digest)
    return 'update';
  if (i.action === 'unverified') return 'unverified';
  // up to date, but its signatures or referrers are not all in the registry yet: they would land
  if (i.action === 'skip')
    return i.referrers?.some((r) => r.status === 'planned') ? 'import' : 'up to date';
  return 'import'; // import, force
}

const ORDER: PlanChange[] = ['failed', 'update', 'import', 'unverified'];

/** A line whose source could not be read (and is not pinned): nothing it would import was seen. */
export function sourceUnread(i: ImageResult): boolean {
  return planChange(i) === 'unverified' && i.digest === null;
}

export interface Plan {
  /** The plan as markdown (data escaped: core/results/safeText.ts). */
  markdown: Markdown;
  /**
   * Whether a reviewer must act: some line failed (the source is missing, a policy refuses it),
   * or some line's source could not be read (nothing it would import was verified).
   */
  active: boolean;
  counts: Record<PlanChange, number>;
}

const NO_COUNTS = (): Record<PlanChange, number> => ({
  import: 0,
  update: 0,
  unverified: 0,
  failed: 0,
  'up to date': 0,
});

/**
 * The plan of a run that failed before it could plan (an invalid list, a policy such as
 * requireDigests or allowedSources, a connection failure, anything thrown): active, so the
 * reviewer sees it. `message` is data (it may quote a list line or an error from Azure).
 */
export function planFailure(message: string): Plan {
  const markdown = mdJoin(
    [
      mdt`### Import plan`,
      mdt``,
      mdt`❌ **No plan: the run failed before it could compare digests.** ${message}`,
      mdt``,
      mdt`Nothing was written to the registry. The run's log and annotations say what to fix.`,
      mdt``,
    ],
    '\n',
  );
  return { markdown, active: true, counts: NO_COUNTS() };
}

/**
 * A pull-request build that imported (importOnPullRequest) and failed: no plan, but the thread
 * says so, active. `message` is the task result's (data: it may quote an error from Azure).
 */
export function importFailure(message: string): Plan {
  const markdown = mdJoin(
    [
      mdt`### Import plan`,
      mdt``,
      mdt`❌ **This pull-request build imported (importOnPullRequest) and failed:** ${message}`,
      mdt``,
    ],
    '\n',
  );
  return { markdown, active: true, counts: NO_COUNTS() };
}

/**
 * A plan whose run then failed (its JSON result could not be written, say): the plan, led by the
 * failure, and active: the build failed, and the thread says so.
 */
export function planThenFailed(plan: Plan, message: string): Plan {
  const lead = mdt`❌ **The run failed after planning:** ${message}`;
  const [title, ...rest] = plan.markdown.text.split('\n');
  const markdown = mdJoin([trusted(title ?? ''), mdt``, lead, trusted(rest.join('\n'))], '\n');
  return { ...plan, markdown, active: true };
}

export function planMarkdown(result: RunResult, opts: { pullRequest: boolean }): Plan {
  const counts = NO_COUNTS();
  for (const i of result.images) counts[planChange(i)]++;
  const unread = result.images.filter(sourceUnread).length;
  const out: Markdown[] = [];
  out.push(mdt`### Import plan for ${result.acr.name} (${mdCode(result.acr.loginServer)})`, mdt``);
  out.push(
    mdt`**${counts.import}** to import · **${counts.update}** to update · **${counts.unverified}** unverified · **${counts.failed}** failed · ${counts['up to date']} already up to date · mode ${mdCode(result.mode)}`,
  );
  out.push(mdt``);
  out.push(
    opts.pullRequest
      ? mdt`> Pull-request build: nothing was written to the registry. Once merged, the pipeline imports exactly the digests below for pinned lines; for a tag, what it points at then.`
      : mdt`> Dry run: nothing was written to the registry.`,
  );
  if (unread > 0) {
    out.push(mdt``);
    out.push(
      mdt`⚠️ **${unread} line(s) could not be verified: their source could not be read**, so nothing they would import was seen. Once merged, the pipeline imports them by tag, whatever the tag points at then. Run the build again when the source answers, or pin the line (${mdCode('SOURCE:tag@sha256:…')}).`,
    );
  }
  const changes = result.images
    .filter((i) => planChange(i) !== 'up to date')
    .sort((a, b) => ORDER.indexOf(planChange(a)) - ORDER.indexOf(planChange(b)) || a.line - b.line);
  const sigs = result.counts.signatures;
  if (sigs) {
    out.push(mdt``);
    out.push(
      mdt`Signatures (verifySignatures): **${sigs.verified}** verified · **${sigs.failed}** failed · ${sigs.notVerified} not verified (no pattern matches).`,
    );
  }
  const withSignature = result.images.some((i) => i.signature);
  const withReferrers = result.images.some((i) => i.referrers);
  const extraHead = `${withSignature ? ' Signature |' : ''}${withReferrers ? ' Signatures and referrers |' : ''}`;
  const extraRule = `${withSignature ? ' --- |' : ''}${withReferrers ? ' --- |' : ''}`;
  const extraCells = (i: ImageResult): Markdown =>
    mdJoin(
      [
        ...(withSignature ? [mdt` ${signaturePlanCell(i)} |`] : []),
        ...(withReferrers ? [mdt` ${trusted(referrersCell(i))} |`] : []),
      ],
      '',
    );
  if (changes.length === 0) {
    out.push(mdt``, mdt`Every line is already up to date: nothing to import.`);
  } else {
    out.push(mdt``);
    out.push(
      mdt`| Line | Change | Source | Source digest now | Target | Target holds now |${trusted(extraHead)}`,
    );
    out.push(mdt`| ---: | --- | --- | --- | --- | --- |${trusted(extraRule)}`);
    for (const i of changes) {
      const change = planChange(i);
      const why =
        change === 'failed'
          ? mdt` ❌ ${i.error ?? i.status}`
          : sourceUnread(i)
            ? mdt` ⚠️ (${i.note ?? 'the source could not be read'})`
            : i.note
              ? mdt` (${i.note})`
              : mdt``;
      const holds =
        typeof i.previousDigest === 'string'
          ? mdCode(i.previousDigest)
          : i.previousDigest === null
            ? mdt`absent`
            : mdt``;
      const targets = mdJoin(i.targets.map(mdCode), ', ');
      out.push(
        mdt`| ${i.line} | ${change}${why} | ${mdCode(i.source)} | ${mdCode(i.digest)} | ${targets} | ${holds} |${extraCells(i)}`,
      );
    }
  }
  out.push(mdt``);
  return { markdown: mdJoin(out, '\n'), active: counts.failed > 0 || unread > 0, counts };
}

/** A line's verification as the plan shows it. */
function signaturePlanCell(i: ImageResult): Markdown {
  const s = i.signature;
  if (!s) return mdt``;
  if (s.verified && s.mode === 'keyless')
    return mdt`✅ signed by ${s.identity ?? ''} (${s.issuer ?? ''})`;
  if (s.verified) return mdt`✅ verified${rekorNote(s.rekorLogIndex)}`;
  return s.mode === null ? mdt`not verified (no pattern)` : mdt`❌ ${s.reason ?? 'failed'}`;
}
