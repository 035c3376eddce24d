/**
 * Prints, after vitest's own summary, every test that needed a retry and why its failed attempt
 * failed, then `retries used: N`. A retry that rescues a test is a finding, not a pass to forget.
 */
import { relative } from 'node:path';
import type { Reporter, TestCase, TestModule, Vitest } from 'vitest/node';

export interface RetriedTest {
  project: string;
  file: string;
  name: string;
  retries: number;
  /** Passed on a later attempt, or failed on every one. */
  outcome: 'passed' | 'failed' | 'skipped' | 'pending';
  /** First line of the first failed attempt's error. */
  firstError: string;
}

const MAX_ERROR_CHARS = 240;

export function retriedTest(test: TestCase, root: string): RetriedTest | null {
  const retries = test.diagnostic()?.retryCount ?? 0;
  if (retries === 0) return null;
  const result = test.result();
  // vitest keeps the errors of every failed attempt, in order, even when a later one passes.
  const error = result.errors?.[0];
  const firstLine = (error?.message ?? 'no error recorded').split('\n')[0] ?? '';
  return {
    project: test.project.name,
    file: relative(root, test.module.moduleId),
    name: test.fullName,
    retries,
    outcome: result.state,
    firstError: `${error?.name ? `${error.name}: ` : ''}${firstLine}`.slice(0, MAX_ERROR_CHARS),
  };
}

export function formatRetries(retried: RetriedTest[]): string {
  const lines = retried.map(
    (t) =>
      `  [${t.project}] ${t.file} › ${t.name}: ${t.outcome === 'passed' ? 'passed on retry' : t.outcome}\n` +
      `      failed attempt: ${t.firstError}`,
  );
  const used = retried.reduce((sum, t) => sum + t.retries, 0);
  return [...(lines.length > 0 ? ['retried tests:', ...lines] : []), `retries used: ${used}`].join('\n');
}

export class RetryReporter implements Reporter {
  private root = process.cwd();
  private log: (message: string) => void = (message) => console.log(message);

  onInit(vitest: Vitest): void {
    this.root = vitest.config.root;
    this.log = (message) => vitest.logger.log(message);
  }

  private retried: RetriedTest[] = [];

  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    this.retried = testModules.flatMap((module) =>
      [...module.children.allTests()].flatMap((test) => retriedTest(test, this.root) ?? []),
    );
  }

  /** Runs after the default reporter's summary, so this is the last thing the run prints. */
  onFinished(): void {
    this.log(formatRetries(this.retried));
  }
}
