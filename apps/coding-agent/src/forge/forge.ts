/**
 * Where branches are pushed and pull requests opened: GitHub (REST, through Octokit) or the
 * embedded default, a local bare repository plus a pull-request record. Both pass
 * `test/forge.contract.ts`.
 */
export interface PullRequestInput {
  repository: string;
  head: string;
  base: string;
  title: string;
  body: string;
  labels?: string[];
  reviewers?: string[];
}

export interface PullRequest {
  number: number;
  url: string;
  state: 'open' | 'closed' | 'merged';
  head: string;
  base: string;
  title: string;
  /** The description as stored by the forge (optional: older records may lack it). */
  body?: string;
  labels?: string[];
  /** Reviewers whose review was requested. */
  reviewers?: string[];
  /** ISO 8601 time the pull request was opened. */
  createdAt?: string;
  /** What the forge could not do without failing the pull request (e.g. a reviewer it refused). */
  warnings?: string[];
}

export interface Forge {
  readonly kind: string;
  /** The URL to clone and push to; credentials are never part of it. */
  remoteUrl(repository: string): string;
  /**
   * Extra git environment for authenticated fetch and push, as environment variables
   * (`GIT_CONFIG_COUNT` / `GIT_CONFIG_KEY_n` / `GIT_CONFIG_VALUE_n` carrying an
   * `http.<url>.extraHeader`); pass it as the git process environment, never log it.
   */
  gitAuth?(repository: string): Record<string, string>;
  /**
   * Opens a pull request from `head` into `base`, adds the labels and requests the reviews.
   * Idempotent: when an open pull request for the same head and base exists, answers that one
   * (with the labels and reviewers added), so a task resumed after a restart never opens two.
   */
  openPullRequest(input: PullRequestInput): Promise<PullRequest>;
  getPullRequest(repository: string, number: number): Promise<PullRequest | undefined>;
  listPullRequests(repository: string): Promise<PullRequest[]>;
}
