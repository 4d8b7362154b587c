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
}

export interface Forge {
  readonly kind: string;
  /** The URL to clone and push to; credentials are never part of it. */
  remoteUrl(repository: string): string;
  /** Extra git environment/config for authenticated push (e.g. an http.extraHeader), never logged. */
  gitAuth?(repository: string): Record<string, string>;
  openPullRequest(input: PullRequestInput): Promise<PullRequest>;
  getPullRequest(repository: string, number: number): Promise<PullRequest | undefined>;
  listPullRequests(repository: string): Promise<PullRequest[]>;
}
