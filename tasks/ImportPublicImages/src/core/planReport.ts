// The plan a reviewer reads (a dry run, or a pull-request build): it leads with what would
// change (lines to import, tags that would move, lines that could not be checked, failures),
// each with the source digest now and, for a moved tag, the digest the target holds; the lines
// already up to date are one count. Pure: the summary tab and the pull-request comment show it.
import { cell, referrersCell, type ImageResult, type RunResult } from './report';

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

function code(text: string | null | undefined): string {
  return text ? `\`${text}\`` : '';
}

export interface Plan {
  markdown: string;
  /** Whether a reviewer must act: some line failed (the source is missing, a policy refuses it). */
  active: boolean;
  counts: Record<PlanChange, number>;
}

/**
 * The plan of a run that failed before it could plan (an invalid list, a policy such as
 * requireDigests or allowedSources, a connection failure): active, so the reviewer sees it.
 */
export function planFailure(message: string): Plan {
  const markdown = [
    '### Import plan',
    '',
    `❌ **No plan: the run failed before it could compare digests.** ${message}`,
    '',
    "Nothing was written to the registry. The run's annotations show each line to fix.",
    '',
  ].join('\n');
  return {
    markdown,
    active: true,
    counts: { import: 0, update: 0, unverified: 0, failed: 0, 'up to date': 0 },
  };
}

export function planMarkdown(result: RunResult, opts: { pullRequest: boolean }): Plan {
  const counts: Record<PlanChange, number> = {
    import: 0,
    update: 0,
    unverified: 0,
    failed: 0,
    'up to date': 0,
  };
  for (const i of result.images) counts[planChange(i)]++;
  const out: string[] = [];
  out.push(`### Import plan for ${result.acr.name} (\`${result.acr.loginServer}\`)`);
  out.push('');
  out.push(
    `**${counts.import}** to import · **${counts.update}** to update · ` +
      `**${counts.unverified}** unverified · **${counts.failed}** failed · ` +
      `${counts['up to date']} already up to date · mode \`${result.mode}\``,
  );
  out.push('');
  out.push(
    opts.pullRequest
      ? '> Pull-request build: nothing was written to the registry. Once merged, the pipeline imports exactly the digests below for pinned lines; for a tag, what it points at then.'
      : '> Dry run: nothing was written to the registry.',
  );
  const changes = result.images
    .filter((i) => planChange(i) !== 'up to date')
    .sort((a, b) => ORDER.indexOf(planChange(a)) - ORDER.indexOf(planChange(b)) || a.line - b.line);
  const sigs = result.counts.signatures;
  if (sigs) {
    out.push('');
    out.push(
      `Signatures (verifySignatures: cosign-key): **${sigs.verified}** verified · **${sigs.failed}** failed · ${sigs.notVerified} not verified (no key pattern matches).`,
    );
  }
  const withSignature = result.images.some((i) => i.signature);
  const withReferrers = result.images.some((i) => i.referrers);
  const extraHead = `${withSignature ? ' Signature |' : ''}${withReferrers ? ' Signatures and referrers |' : ''}`;
  const extraRule = `${withSignature ? ' --- |' : ''}${withReferrers ? ' --- |' : ''}`;
  const extraCells = (i: ImageResult): string =>
    `${withSignature ? ` ${signaturePlanCell(i)} |` : ''}${withReferrers ? ` ${cell(referrersCell(i))} |` : ''}`;
  if (changes.length === 0) {
    out.push('');
    out.push('Every line is already up to date: nothing to import.');
  } else {
    out.push('');
    out.push(
      `| Line | Change | Source | Source digest now | Target | Target holds now |${extraHead}`,
    );
    out.push(`| ---: | --- | --- | --- | --- | --- |${extraRule}`);
    for (const i of changes) {
      const change = planChange(i);
      const why = change === 'failed' ? ` ❌ ${i.error ?? i.status}` : i.note ? ` (${i.note})` : '';
      const holds =
        typeof i.previousDigest === 'string'
          ? code(i.previousDigest)
          : i.previousDigest === null
            ? 'absent'
            : '';
      out.push(
        `| ${i.line} | ${change}${cell(why)} | ${cell(i.source)} | ${code(i.digest)} | ${cell(i.targets.join(', '))} | ${holds} |${extraCells(i)}`,
      );
    }
  }
  out.push('');
  return { markdown: out.join('\n'), active: counts.failed > 0, counts };
}

/** A line's verification as the plan shows it. */
function signaturePlanCell(i: ImageResult): string {
  const s = i.signature;
  if (!s) return '';
  if (s.verified) return '✅ verified';
  return s.key === null ? 'not verified (no key pattern)' : `❌ ${cell(s.reason ?? 'failed')}`;
}
