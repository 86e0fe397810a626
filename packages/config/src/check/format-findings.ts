/**
 * The human-readable report of `upgate check`: one block per finding, led by `file:line:` so that
 * editors and CI annotations can jump to it, then a count.
 */
import type { DeploymentFinding, FindingSeverity } from './deployment-finding.js';

const ORDER: Readonly<Record<FindingSeverity, number>> = { error: 0, warning: 1, info: 2 };

/** Errors first, then warnings, then notes; in file order within each. */
export function sortFindings(findings: readonly DeploymentFinding[]): DeploymentFinding[] {
  return [...findings].sort(
    (a, b) => ORDER[a.severity] - ORDER[b.severity] || (a.location?.line ?? 0) - (b.location?.line ?? 0),
  );
}

export function countFindings(findings: readonly DeploymentFinding[]): Record<FindingSeverity, number> {
  const counts: Record<FindingSeverity, number> = { error: 0, warning: 0, info: 0 };
  for (const finding of findings) counts[finding.severity]++;
  return counts;
}

/** One finding: `config/deploy.yml:27: error: proxy.healthcheck.path [probe-path]`, the message, the fix. */
export function formatFinding(finding: DeploymentFinding, deployFile: string): string {
  // A finding about the app's settings alone (no deploy-file key) is not the deploy file's.
  const where = finding.location
    ? `${finding.location.file}:${finding.location.line}`
    : finding.key
      ? deployFile
      : 'app settings';
  const label = finding.severity === 'info' ? 'note' : finding.severity;
  const key = finding.key ? ` ${finding.key}` : '';
  return `${where}: ${label}:${key} [${finding.rule}]\n  ${finding.message}\n  fix: ${finding.fix}`;
}

/** The closing line: `2 errors, 1 warning` or `no mismatches`. */
export function formatSummary(findings: readonly DeploymentFinding[]): string {
  const counts = countFindings(findings);
  const parts: string[] = [];
  if (counts.error > 0) parts.push(plural(counts.error, 'error'));
  if (counts.warning > 0) parts.push(plural(counts.warning, 'warning'));
  if (counts.info > 0) parts.push(plural(counts.info, 'note'));
  if (counts.error === 0 && counts.warning === 0) {
    return counts.info > 0 ? `no mismatches (${parts.join(', ')})` : 'no mismatches';
  }
  return parts.join(', ');
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;
