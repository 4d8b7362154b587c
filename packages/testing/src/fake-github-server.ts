import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

/**
 * A local HTTP server speaking the part of GitHub's REST API the coding agent's GitHub forge
 * calls, with response bodies shaped like GitHub's documented ones (pull-request, label,
 * repository objects; `{ message, errors, documentation_url, status }` errors). It checks the
 * `authorization: token …` / `Bearer …` header, records every request, and refuses a second
 * open pull request for the same head and base with GitHub's 422. Listens on 127.0.0.1, port 0.
 *
 * Endpoints: `GET /repos/{owner}/{repo}`, `POST /repos/{owner}/{repo}/pulls`,
 * `GET /repos/{owner}/{repo}/pulls` (`state`, `head`, `base`, `per_page`, `page`),
 * `GET /repos/{owner}/{repo}/pulls/{n}`, `POST /repos/{owner}/{repo}/issues/{n}/labels`,
 * `POST /repos/{owner}/{repo}/pulls/{n}/requested_reviewers`.
 *
 * @example
 * const github = await startFakeGitHubServer({ token: 'ghp_test', repositories: ['acme/shop'] });
 * const octokit = new Octokit({ auth: 'ghp_test', baseUrl: github.url });
 */
export interface FakeGitHubRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
}

export interface FakeGitHubPullRequest {
  number: number;
  repository: string;
  title: string;
  body: string | null;
  head: string;
  base: string;
  state: 'open' | 'closed';
  merged: boolean;
  labels: string[];
  requestedReviewers: string[];
  createdAt: string;
}

export interface FakeGitHubServer {
  /** Base URL to give Octokit (`baseUrl`), e.g. `http://127.0.0.1:40123`. */
  url: string;
  /** Every request received, in order. */
  requests: FakeGitHubRequest[];
  /** Pull requests by `owner/repo`. */
  pullRequests: Map<string, FakeGitHubPullRequest[]>;
  /** Makes `owner/repo` exist (repositories not added answer 404). */
  addRepository(fullName: string, defaultBranch?: string): void;
  /** Sets a pull request's state, as a merge or a close on GitHub would. */
  setState(fullName: string, number: number, state: 'open' | 'closed' | 'merged'): void;
  close(): Promise<void>;
}

export interface FakeGitHubServerOptions {
  /** The only token accepted. */
  token: string;
  repositories?: string[];
  /** Login of the token's user (the pull requests' author). Default `atb-bot`. */
  login?: string;
  /** Reviewers that are not collaborators: requesting them answers 422 like GitHub. */
  unknownReviewers?: string[];
}

const DOCS = 'https://docs.github.com/rest';

function user(login: string, id: number) {
  return {
    login,
    id,
    node_id: Buffer.from(`04:User${id}`).toString('base64'),
    avatar_url: `https://avatars.githubusercontent.com/u/${id}?v=4`,
    gravatar_id: '',
    url: `https://api.github.com/users/${login}`,
    html_url: `https://github.com/${login}`,
    type: 'User',
    site_admin: false,
  };
}

function labelObject(name: string, id: number, fullName: string) {
  return {
    id,
    node_id: Buffer.from(`LA_${id}`).toString('base64'),
    url: `https://api.github.com/repos/${fullName}/labels/${encodeURIComponent(name)}`,
    name,
    description: null,
    color: 'ededed',
    default: false,
  };
}

export async function startFakeGitHubServer(options: FakeGitHubServerOptions): Promise<FakeGitHubServer> {
  const login = options.login ?? 'atb-bot';
  const requests: FakeGitHubRequest[] = [];
  const repositories = new Map<string, { id: number; defaultBranch: string }>();
  const pullRequests = new Map<string, FakeGitHubPullRequest[]>();
  const unknownReviewers = new Set(options.unknownReviewers ?? []);
  let nextId = 1000;
  let baseUrl = '';

  const addRepository = (fullName: string, defaultBranch = 'main'): void => {
    if (!repositories.has(fullName)) repositories.set(fullName, { id: nextId++, defaultBranch });
    if (!pullRequests.has(fullName)) pullRequests.set(fullName, []);
  };
  for (const repository of options.repositories ?? []) addRepository(repository);

  const repositoryObject = (fullName: string) => {
    const [owner = '', name = ''] = fullName.split('/');
    const repository = repositories.get(fullName)!;
    return {
      id: repository.id,
      node_id: Buffer.from(`010:Repository${repository.id}`).toString('base64'),
      name,
      full_name: fullName,
      owner: user(owner, 1),
      private: false,
      html_url: `https://github.com/${fullName}`,
      description: null,
      fork: false,
      url: `${baseUrl}/repos/${fullName}`,
      clone_url: `https://github.com/${fullName}.git`,
      git_url: `git://github.com/${fullName}.git`,
      ssh_url: `git@github.com:${fullName}.git`,
      default_branch: repository.defaultBranch,
      visibility: 'public',
      archived: false,
      disabled: false,
      created_at: '2024-01-01T00:00:00Z',
      updated_at: '2024-01-01T00:00:00Z',
      pushed_at: '2024-01-01T00:00:00Z',
    };
  };

  const branchObject = (fullName: string, ref: string) => ({
    label: `${fullName.split('/')[0]}:${ref}`,
    ref,
    sha: Buffer.from(`${fullName}:${ref}`).toString('hex').padEnd(40, '0').slice(0, 40),
    user: user(fullName.split('/')[0] ?? '', 1),
    repo: repositoryObject(fullName),
  });

  const pullObject = (pull: FakeGitHubPullRequest, simple: boolean) => {
    const api = `${baseUrl}/repos/${pull.repository}`;
    const html = `https://github.com/${pull.repository}/pull/${pull.number}`;
    const object: Record<string, unknown> = {
      url: `${api}/pulls/${pull.number}`,
      id: 5000 + pull.number,
      node_id: Buffer.from(`PR_${pull.repository}_${pull.number}`).toString('base64'),
      html_url: html,
      diff_url: `${html}.diff`,
      patch_url: `${html}.patch`,
      issue_url: `${api}/issues/${pull.number}`,
      commits_url: `${api}/pulls/${pull.number}/commits`,
      review_comments_url: `${api}/pulls/${pull.number}/comments`,
      review_comment_url: `${api}/pulls/comments{/number}`,
      comments_url: `${api}/issues/${pull.number}/comments`,
      statuses_url: `${api}/statuses/${branchObject(pull.repository, pull.head).sha}`,
      number: pull.number,
      state: pull.state,
      locked: false,
      title: pull.title,
      user: user(login, 2),
      body: pull.body,
      labels: pull.labels.map((name, index) => labelObject(name, 7000 + index, pull.repository)),
      milestone: null,
      active_lock_reason: null,
      created_at: pull.createdAt,
      updated_at: pull.createdAt,
      closed_at: pull.state === 'closed' ? pull.createdAt : null,
      merged_at: pull.merged ? pull.createdAt : null,
      merge_commit_sha: null,
      assignee: null,
      assignees: [],
      requested_reviewers: pull.requestedReviewers.map((reviewer, index) => user(reviewer, 3 + index)),
      requested_teams: [],
      head: branchObject(pull.repository, pull.head),
      base: branchObject(pull.repository, pull.base),
      _links: { self: { href: `${api}/pulls/${pull.number}` }, html: { href: html } },
      author_association: 'CONTRIBUTOR',
      auto_merge: null,
      draft: false,
    };
    if (!simple) {
      Object.assign(object, {
        merged: pull.merged,
        mergeable: null,
        rebaseable: null,
        mergeable_state: 'unknown',
        merged_by: null,
        comments: 0,
        review_comments: 0,
        maintainer_can_modify: false,
        commits: 1,
        additions: 0,
        deletions: 0,
        changed_files: 0,
      });
    }
    return object;
  };

  const send = (response: ServerResponse, status: number, body: unknown): void => {
    const text = JSON.stringify(body);
    response.writeHead(status, {
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(text),
      'x-github-media-type': 'github.v3; format=json',
      'x-ratelimit-limit': '5000',
      'x-ratelimit-remaining': '4999',
    });
    response.end(text);
  };
  const error = (response: ServerResponse, status: number, message: string, documentation: string, errors?: unknown[]): void =>
    send(response, status, { message, ...(errors ? { errors } : {}), documentation_url: documentation, status: String(status) });

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      error(response, 400, 'Problems parsing JSON', DOCS);
      return;
    }
    const method = request.method ?? 'GET';
    requests.push({ method, path: url.pathname, query: Object.fromEntries(url.searchParams), headers: request.headers, body });

    const authorization = request.headers.authorization ?? '';
    const match = /^(?:token|bearer)\s+(.+)$/i.exec(authorization);
    if (!match || match[1] !== options.token) {
      error(response, 401, 'Bad credentials', DOCS);
      return;
    }
    const route = /^\/repos\/([^/]+)\/([^/]+)(?:\/(pulls|issues)(?:\/(\d+)(?:\/(labels|requested_reviewers))?)?)?$/.exec(url.pathname);
    if (!route) {
      error(response, 404, 'Not Found', DOCS);
      return;
    }
    const fullName = `${route[1]}/${route[2]}`;
    if (!repositories.has(fullName)) {
      error(response, 404, 'Not Found', `${DOCS}/repos/repos#get-a-repository`);
      return;
    }
    const pulls = pullRequests.get(fullName)!;
    const [, , , collection, numberText, action] = route;
    const input = (body ?? {}) as Record<string, unknown>;

    if (!collection && method === 'GET') {
      send(response, 200, repositoryObject(fullName));
      return;
    }
    if (collection === 'pulls' && !numberText && method === 'POST') {
      const missing = ['title', 'head', 'base'].filter((field) => typeof input[field] !== 'string' || input[field] === '');
      if (missing.length > 0) {
        error(
          response,
          422,
          'Validation Failed',
          `${DOCS}/pulls/pulls#create-a-pull-request`,
          missing.map((field) => ({ resource: 'PullRequest', field, code: 'missing_field' })),
        );
        return;
      }
      const head = String(input.head).replace(/^[^:]+:/, '');
      const base = String(input.base);
      if (pulls.some((pull) => pull.state === 'open' && pull.head === head && pull.base === base)) {
        error(response, 422, 'Validation Failed', `${DOCS}/pulls/pulls#create-a-pull-request`, [
          { resource: 'PullRequest', code: 'custom', message: `A pull request already exists for ${route[1]}:${head}.` },
        ]);
        return;
      }
      const pull: FakeGitHubPullRequest = {
        number: pulls.length + 1,
        repository: fullName,
        title: String(input.title),
        body: typeof input.body === 'string' ? input.body : null,
        head,
        base,
        state: 'open',
        merged: false,
        labels: [],
        requestedReviewers: [],
        createdAt: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
      };
      pulls.push(pull);
      response.setHeader('location', `${baseUrl}/repos/${fullName}/pulls/${pull.number}`);
      send(response, 201, pullObject(pull, false));
      return;
    }
    if (collection === 'pulls' && !numberText && method === 'GET') {
      const state = url.searchParams.get('state') ?? 'open';
      const head = url.searchParams.get('head');
      const base = url.searchParams.get('base');
      const perPage = Math.min(100, Number(url.searchParams.get('per_page') ?? 30));
      const page = Math.max(1, Number(url.searchParams.get('page') ?? 1));
      const selected = pulls
        .filter((pull) => state === 'all' || pull.state === state)
        .filter((pull) => !head || `${route[1]}:${pull.head}` === head)
        .filter((pull) => !base || pull.base === base)
        .sort((left, right) => right.number - left.number)
        .slice((page - 1) * perPage, page * perPage);
      send(
        response,
        200,
        selected.map((pull) => pullObject(pull, true)),
      );
      return;
    }
    const pull = numberText ? pulls.find((candidate) => candidate.number === Number(numberText)) : undefined;
    if (numberText && !pull) {
      error(response, 404, 'Not Found', `${DOCS}/pulls/pulls#get-a-pull-request`);
      return;
    }
    if (collection === 'pulls' && pull && !action && method === 'GET') {
      send(response, 200, pullObject(pull, false));
      return;
    }
    if (collection === 'issues' && pull && action === 'labels' && method === 'POST') {
      const labels = Array.isArray(input.labels) ? input.labels : Array.isArray(body) ? body : undefined;
      if (!labels || labels.some((label) => typeof label !== 'string')) {
        error(response, 422, 'Invalid request.\n\nFor \'links/0/schema\', nil is not an array.', `${DOCS}/issues/labels#add-labels-to-an-issue`);
        return;
      }
      for (const label of labels as string[]) if (!pull.labels.includes(label)) pull.labels.push(label);
      send(
        response,
        200,
        pull.labels.map((name, index) => labelObject(name, 7000 + index, fullName)),
      );
      return;
    }
    if (collection === 'pulls' && pull && action === 'requested_reviewers' && method === 'POST') {
      const reviewers = Array.isArray(input.reviewers) ? (input.reviewers as string[]) : [];
      const unknown = reviewers.filter((reviewer) => unknownReviewers.has(reviewer) || reviewer === login);
      if (unknown.length > 0) {
        error(
          response,
          422,
          'Reviews may only be requested from collaborators. One or more of the users or teams you specified is not a collaborator of the ' +
            `${fullName} repository.`,
          `${DOCS}/pulls/review-requests#request-reviewers-for-a-pull-request`,
        );
        return;
      }
      for (const reviewer of reviewers) if (!pull.requestedReviewers.includes(reviewer)) pull.requestedReviewers.push(reviewer);
      send(response, 201, pullObject(pull, true));
      return;
    }
    error(response, 404, 'Not Found', DOCS);
  };

  const server: Server = createServer((request, response) => {
    handle(request, response).catch((failure: unknown) => {
      if (!response.headersSent) error(response, 500, `fake GitHub server failed: ${(failure as Error).message}`, DOCS);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as { port: number }).port}`;

  return {
    url: baseUrl,
    requests,
    pullRequests,
    addRepository,
    setState(fullName, number, state) {
      const pull = pullRequests.get(fullName)?.find((candidate) => candidate.number === number);
      if (!pull) throw new Error(`no pull request ${fullName}#${number}`);
      pull.state = state === 'open' ? 'open' : 'closed';
      pull.merged = state === 'merged';
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
