// The parse step: the list file's text -> entries, its problems annotated on their lines. An
// invalid list, or one that is not a list, fails the task here, before any request.
import { isDockerHub } from '../core/list/identity';
import { parseImageList, type ParsedList } from '../core/list/imageList';
import { reviewList, type DecodedList } from '../core/list/listFile';
import type { ImportMode } from '../core/plan/decisions';
import type { RunReporter } from '../core/results/reporter';

export interface ParseInputs {
  imageListInput: string;
  /** The list's path in annotations (relative to the repository when inside it). */
  imageListAnnotationPath: string;
  mode: ImportMode;
  dryRun: boolean;
  /** Docker Hub credential inputs the pipeline left as unexpanded macros. */
  dockerHubUnexpanded: string[];
}

/** The parsed list, or undefined when the task has already been ended (failed or nothing to do). */
export function parseList(
  file: DecodedList,
  inputs: ParseInputs,
  out: RunReporter,
): ParsedList | undefined {
  if (!file.ok) return void out.fail(file.message);
  const list = parseImageList(file.text);
  const review = reviewList(inputs.imageListInput, list);
  out.listProblems(inputs.imageListAnnotationPath, review.annotations);
  if (review.failure) return void out.fail(review.failure, list.errors.length);
  if (review.empty) return void out.nothingToImport(review.empty);
  const hasDockerHub = list.entries.some((e) => isDockerHub(e.source.registry));
  if (hasDockerHub && inputs.dockerHubUnexpanded.length > 0) {
    out.warn(
      `Docker Hub credentials are not set (${inputs.dockerHubUnexpanded.join(', ')}): docker.io images are pulled anonymously, with a lower rate limit.`,
    );
  }
  const charts = list.entries.filter((e) => e.chart !== undefined).length;
  const lines =
    charts > 0
      ? `${list.entries.length - charts} image(s) and ${charts} chart(s)`
      : `${list.entries.length} image(s)`;
  out.log(
    `${lines} in ${inputs.imageListInput}; mode ${inputs.mode}${inputs.dryRun ? ', dry run' : ''}`,
  );
  return list;
}
