import { execFileSync } from 'node:child_process';
import { type FakeGitHubServer, startFakeGitHubServer } from '@atb/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GitHubForge, gitHostOf } from '../src/forge/github-forge.js';
import { forgeContract } from './forge.contract.js';

const token = 'ghp_contractTestToken0123456789';

describe('GitHubForge against the GitHub REST wire protocol', () => {
  forgeContract(async () => {
    const github = await startFakeGitHubServer({ token, repositories: ['acme/shop'] });
    return {
      forge: new GitHubForge({ token, baseUrl: github.url }),
      repository: 'acme/shop',
      secrets: [token],
      createBranch: async () => {},
      recordedReviewers: async (number) => github.pullRequests.get('acme/shop')?.find((pull) => pull.number === number)?.requestedReviewers ?? [],
      close: () => github.close(),
    };
  });
});

describe('GitHubForge specifics', () => {
  let github: FakeGitHubServer;
  let forge: GitHubForge;

  beforeAll(async () => {
    github = await startFakeGitHubServer({ token, repositories: ['acme/shop'], unknownReviewers: ['stranger'] });
    forge = new GitHubForge({ token, baseUrl: github.url });
  });

  afterAll(async () => {
    await github.close();
  });

  it('sends the token in the authorization header and the documented request bodies', async () => {
    github.requests.length = 0;
    const pull = await forge.openPullRequest({
      repository: 'acme/shop',
      head: 'atb/t1',
      base: 'main',
      title: 'T',
      body: 'B',
      labels: ['atb'],
      reviewers: ['alice'],
    });
    expect(github.requests.map((request) => `${request.method} ${request.path}`)).toEqual([
      'POST /repos/acme/shop/pulls',
      `POST /repos/acme/shop/issues/${pull.number}/labels`,
      `POST /repos/acme/shop/pulls/${pull.number}/requested_reviewers`,
    ]);
    for (const request of github.requests) expect(request.headers.authorization).toBe(`token ${token}`);
    expect(github.requests[0]?.body).toEqual({ title: 'T', head: 'atb/t1', base: 'main', body: 'B' });
    expect(github.requests[1]?.body).toEqual({ labels: ['atb'] });
    expect(github.requests[2]?.body).toEqual({ reviewers: ['alice'] });
    expect(pull.url).toBe(`https://github.com/acme/shop/pull/${pull.number}`);
  });

  it('on GitHub 422 "already exists" finds the open pull request by head and base', async () => {
    github.requests.length = 0;
    const again = await forge.openPullRequest({ repository: 'acme/shop', head: 'atb/t1', base: 'main', title: 'T', body: 'B' });
    expect(again.number).toBe(1);
    expect(github.requests[1]?.query).toMatchObject({ state: 'open', head: 'acme:atb/t1', base: 'main' });
  });

  it('keeps the pull request and reports a warning when GitHub refuses a reviewer', async () => {
    const pull = await forge.openPullRequest({ repository: 'acme/shop', head: 'atb/t2', base: 'main', title: 'T2', body: '', reviewers: ['stranger'] });
    expect(pull.number).toBe(2);
    expect(pull.warnings?.[0]).toMatch(/review not requested from stranger/);
  });

  it('maps merged and closed states', async () => {
    github.setState('acme/shop', 2, 'merged');
    expect((await forge.getPullRequest('acme/shop', 2))?.state).toBe('merged');
    github.setState('acme/shop', 2, 'closed');
    expect((await forge.getPullRequest('acme/shop', 2))?.state).toBe('closed');
  });

  it('fails with a 502 naming GitHub on a bad token, and 404 on an unknown repository', async () => {
    const wrong = new GitHubForge({ token: 'ghp_wrong', baseUrl: github.url });
    await expect(wrong.listPullRequests('acme/shop')).rejects.toMatchObject({ statusCode: 502, message: expect.stringMatching(/GitHub.*401/) });
    await expect(forge.defaultBranch('acme/nothing')).rejects.toMatchObject({ statusCode: 404 });
    expect(await forge.defaultBranch('acme/shop')).toBe('main');
    await expect(forge.listPullRequests('/a/path')).rejects.toMatchObject({ statusCode: 400, field: 'repository' });
  });

  it('the fake server answers like GitHub: Bearer accepted, 401 and 422 bodies with documentation_url', async () => {
    const bearer = await fetch(`${github.url}/repos/acme/shop`, { headers: { authorization: `Bearer ${token}` } });
    expect(bearer.status).toBe(200);
    expect(await bearer.json()).toMatchObject({ full_name: 'acme/shop', default_branch: 'main', owner: { login: 'acme' } });
    const anonymous = await fetch(`${github.url}/repos/acme/shop/pulls`);
    expect(anonymous.status).toBe(401);
    expect(await anonymous.json()).toMatchObject({ message: 'Bad credentials', documentation_url: expect.stringContaining('docs.github.com'), status: '401' });
    const missing = await fetch(`${github.url}/repos/acme/shop/pulls`, {
      method: 'POST',
      headers: { authorization: `token ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ title: 'no head' }),
    });
    expect(missing.status).toBe(422);
    expect(await missing.json()).toMatchObject({
      message: 'Validation Failed',
      errors: [
        { resource: 'PullRequest', field: 'head', code: 'missing_field' },
        { resource: 'PullRequest', field: 'base', code: 'missing_field' },
      ],
    });
    const duplicate = await fetch(`${github.url}/repos/acme/shop/pulls`, {
      method: 'POST',
      headers: { authorization: `token ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ title: 'again', head: 'atb/t1', base: 'main' }),
    });
    expect(duplicate.status).toBe(422);
    expect(await duplicate.json()).toMatchObject({ errors: [{ resource: 'PullRequest', code: 'custom', message: 'A pull request already exists for acme:atb/t1.' }] });
  });

  it('keeps the token out of the remote URL and hands it to git as an http.extraHeader', () => {
    expect(forge.remoteUrl('acme/shop')).toBe('https://127.0.0.1:' + new URL(github.url).port + '/acme/shop.git');
    expect(new GitHubForge({ token }).remoteUrl('acme/shop')).toBe('https://github.com/acme/shop.git');
    expect(gitHostOf('https://ghe.example.com/api/v3')).toBe('ghe.example.com');
    const environment = new GitHubForge({ token }).gitAuth('acme/shop');
    const header = execFileSync('git', ['config', '--get', 'http.https://github.com/.extraheader'], {
      env: { PATH: process.env.PATH, HOME: '/nonexistent', ...environment },
      encoding: 'utf8',
    }).trim();
    expect(header).toBe(`Authorization: Basic ${Buffer.from(`x-access-token:${token}`).toString('base64')}`);
  });
});
