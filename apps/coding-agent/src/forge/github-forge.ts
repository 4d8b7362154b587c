import { InputError, NotFoundError, UpstreamError } from '@atb/service-kit';
import { Octokit } from '@octokit/rest';
import type { Forge, PullRequest, PullRequestInput } from './forge.js';

export interface GitHubForgeOptions {
  /** `GITHUB_TOKEN`: a token allowed to push and open pull requests. */
  token: string;
  /** `GITHUB_BASE_URL`: the REST API root; default `https://api.github.com` (Enterprise: `https://<host>/api/v3`). */
  baseUrl?: string;
  /**
   * Host that serves git over HTTPS; default derived from `baseUrl` (`api.github.com` →
   * `github.com`, `https://<host>/api/v3` → `<host>`).
   */
  gitHost?: string;
  /** A `fetch` for Octokit (tests, proxies); default the global one. */
  fetch?: typeof fetch;
}

const REPOSITORY = /^([A-Za-z0-9_.-]+)\/([A-Za-z0-9_.-]+)$/;

interface GitHubPullObject {
  number: number;
  html_url: string;
  state: string;
  merged_at?: string | null;
  title: string;
  body?: string | null;
  created_at: string;
  head: { ref: string };
  base: { ref: string };
  labels?: Array<{ name?: string } | string>;
  requested_reviewers?: Array<{ login: string }> | null;
}

/** The git host for a REST API root: `api.github.com` → `github.com`, `https://ghe.example/api/v3` → `ghe.example`. */
export function gitHostOf(baseUrl: string): string {
  const url = new URL(baseUrl);
  return url.host === 'api.github.com' ? 'github.com' : url.host;
}

function toPullRequest(pull: GitHubPullObject): PullRequest {
  return {
    number: pull.number,
    url: pull.html_url,
    state: pull.merged_at ? 'merged' : pull.state === 'closed' ? 'closed' : 'open',
    head: pull.head.ref,
    base: pull.base.ref,
    title: pull.title,
    body: pull.body ?? '',
    labels: (pull.labels ?? []).map((label) => (typeof label === 'string' ? label : (label.name ?? ''))),
    reviewers: (pull.requested_reviewers ?? []).map((reviewer) => reviewer.login),
    createdAt: pull.created_at,
  };
}

function statusOf(error: unknown): number | undefined {
  return typeof error === 'object' && error !== null && 'status' in error ? Number((error as { status: unknown }).status) : undefined;
}

function upstream(action: string, error: unknown): UpstreamError {
  return new UpstreamError(`GitHub: ${action} failed (${statusOf(error) ?? 'no response'}): ${(error as Error).message}`, { cause: error });
}

/**
 * Pull requests on GitHub or GitHub Enterprise through Octokit (REST). Clone and push go to
 * `https://<host>/<owner>/<repo>.git`; the token travels only in `gitAuth()`'s environment as an
 * `http.https://<host>/.extraHeader`, never in a URL or a log line.
 *
 * @example
 * const forge = new GitHubForge({ token: config.GITHUB_TOKEN, baseUrl: config.GITHUB_BASE_URL });
 * await createGit({ baseDir: workspace, auth: forge.gitAuth('acme/shop') }).push('origin', branch);
 */
export class GitHubForge implements Forge {
  readonly kind = 'github';
  private readonly octokit: Octokit;
  private readonly gitHost: string;

  constructor(private readonly options: GitHubForgeOptions) {
    if (!options.token) throw new InputError('GITHUB_TOKEN is required for the GitHub forge', { field: 'GITHUB_TOKEN' });
    const baseUrl = (options.baseUrl ?? 'https://api.github.com').replace(/\/+$/, '');
    this.gitHost = options.gitHost ?? gitHostOf(baseUrl);
    this.octokit = new Octokit({
      auth: options.token,
      baseUrl,
      userAgent: 'atb-coding-agent',
      log: { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} },
      ...(options.fetch ? { request: { fetch: options.fetch } } : {}),
    });
  }

  private split(repository: string): { owner: string; repo: string } {
    const match = REPOSITORY.exec(repository);
    if (!match) throw new InputError(`repository must be owner/name for GitHub, got ${repository}`, { field: 'repository' });
    return { owner: match[1]!, repo: match[2]! };
  }

  remoteUrl(repository: string): string {
    const { owner, repo } = this.split(repository);
    return `https://${this.gitHost}/${owner}/${repo}.git`;
  }

  gitAuth(_repository: string): Record<string, string> {
    const basic = Buffer.from(`x-access-token:${this.options.token}`).toString('base64');
    return {
      GIT_CONFIG_COUNT: '1',
      GIT_CONFIG_KEY_0: `http.https://${this.gitHost}/.extraHeader`,
      GIT_CONFIG_VALUE_0: `Authorization: Basic ${basic}`,
      GIT_TERMINAL_PROMPT: '0',
    };
  }

  /** The repository's default branch (`GET /repos/{owner}/{repo}`); NotFoundError when the token cannot see it. */
  async defaultBranch(repository: string): Promise<string> {
    const { owner, repo } = this.split(repository);
    try {
      const response = await this.octokit.rest.repos.get({ owner, repo });
      return response.data.default_branch;
    } catch (error) {
      if (statusOf(error) === 404) throw new NotFoundError(`GitHub repository ${repository} not found or not visible to the token`, { field: 'repository' });
      throw upstream(`reading ${repository}`, error);
    }
  }

  async openPullRequest(input: PullRequestInput): Promise<PullRequest> {
    const { owner, repo } = this.split(input.repository);
    let pull: GitHubPullObject;
    try {
      const response = await this.octokit.rest.pulls.create({ owner, repo, title: input.title, head: input.head, base: input.base, body: input.body });
      pull = response.data as GitHubPullObject;
    } catch (error) {
      const existing = statusOf(error) === 422 && /already exists/i.test(JSON.stringify((error as { response?: { data?: unknown } }).response?.data ?? ''));
      if (!existing) throw upstream(`opening a pull request on ${input.repository}`, error);
      const found = await this.findOpen(owner, repo, input.head, input.base);
      if (!found) throw upstream(`opening a pull request on ${input.repository}`, error);
      pull = found;
    }
    const warnings: string[] = [];
    if (input.labels && input.labels.length > 0) {
      try {
        const response = await this.octokit.rest.issues.addLabels({ owner, repo, issue_number: pull.number, labels: input.labels });
        pull = { ...pull, labels: response.data };
      } catch (error) {
        warnings.push(`labels not added: ${(error as Error).message}`);
      }
    }
    if (input.reviewers && input.reviewers.length > 0) {
      try {
        const response = await this.octokit.rest.pulls.requestReviewers({ owner, repo, pull_number: pull.number, reviewers: input.reviewers });
        pull = { ...pull, requested_reviewers: (response.data as GitHubPullObject).requested_reviewers ?? null };
      } catch (error) {
        warnings.push(`review not requested from ${input.reviewers.join(', ')}: ${(error as Error).message}`);
      }
    }
    const result = toPullRequest(pull);
    return warnings.length > 0 ? { ...result, warnings } : result;
  }

  private async findOpen(owner: string, repo: string, head: string, base: string): Promise<GitHubPullObject | undefined> {
    const response = await this.octokit.rest.pulls.list({ owner, repo, state: 'open', head: `${owner}:${head}`, base, per_page: 10 });
    return (response.data as GitHubPullObject[])[0];
  }

  async getPullRequest(repository: string, number: number): Promise<PullRequest | undefined> {
    const { owner, repo } = this.split(repository);
    try {
      const response = await this.octokit.rest.pulls.get({ owner, repo, pull_number: number });
      return toPullRequest(response.data as GitHubPullObject);
    } catch (error) {
      if (statusOf(error) === 404) return undefined;
      throw upstream(`reading pull request ${repository}#${number}`, error);
    }
  }

  async listPullRequests(repository: string): Promise<PullRequest[]> {
    const { owner, repo } = this.split(repository);
    try {
      const pulls = await this.octokit.paginate(this.octokit.rest.pulls.list, { owner, repo, state: 'all', per_page: 100 });
      return (pulls as GitHubPullObject[]).map(toPullRequest);
    } catch (error) {
      throw upstream(`listing pull requests of ${repository}`, error);
    }
  }
}
