import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Forge } from '../src/forge/forge.js';

/** What a forge contract run needs: the forge, a repository it knows, and a way to make branches exist there. */
export interface ForgeFixture {
  forge: Forge;
  repository: string;
  /** Makes `branch` exist on the forge's remote (a real push for the local forge). */
  createBranch(branch: string): Promise<void>;
  /** Secrets that must never appear in `remoteUrl()`. */
  secrets: string[];
  /** Reviewers the forge recorded for pull request `number` (read from the forge's own side). */
  recordedReviewers(number: number): Promise<string[]>;
  close(): Promise<void>;
}

/** The behaviour every `Forge` must show, against a real local forge or GitHub's wire protocol. */
export function forgeContract(createFixture: () => Promise<ForgeFixture>): void {
  let fixture: ForgeFixture;

  beforeAll(async () => {
    fixture = await createFixture();
    await fixture.createBranch('main');
    await fixture.createBranch('atb/task-1-fix');
    await fixture.createBranch('atb/task-2-other');
  });

  afterAll(async () => {
    await fixture?.close();
  });

  it('gives a remote URL without credentials', () => {
    const url = fixture.forge.remoteUrl(fixture.repository);
    expect(url.length).toBeGreaterThan(0);
    for (const secret of fixture.secrets) expect(url).not.toContain(secret);
  });

  it('opens a pull request with labels and reviewers, and reads it back', async () => {
    const opened = await fixture.forge.openPullRequest({
      repository: fixture.repository,
      head: 'atb/task-1-fix',
      base: 'main',
      title: 'Fix the price rounding',
      body: '## Plan\n- round half even\n',
      labels: ['atb', 'bug'],
      reviewers: ['alice'],
    });
    expect(opened.number).toBeGreaterThan(0);
    expect(opened.state).toBe('open');
    expect(opened.head).toBe('atb/task-1-fix');
    expect(opened.base).toBe('main');
    expect(opened.title).toBe('Fix the price rounding');
    expect(opened.url).toMatch(/^(https?|local):\/\//);
    expect(opened.labels).toEqual(['atb', 'bug']);
    expect(opened.reviewers).toEqual(['alice']);
    expect(await fixture.recordedReviewers(opened.number)).toEqual(['alice']);

    const read = await fixture.forge.getPullRequest(fixture.repository, opened.number);
    expect(read).toMatchObject({ number: opened.number, url: opened.url, state: 'open', head: 'atb/task-1-fix', base: 'main', title: opened.title });
    expect(read?.body).toBe('## Plan\n- round half even\n');
    expect(read?.labels).toEqual(['atb', 'bug']);
    expect(read?.createdAt).toMatch(/^\d{4}-\d{2}-\d{2}T/);
  });

  it('answers the existing pull request when the same head and base are opened again', async () => {
    const first = (await fixture.forge.listPullRequests(fixture.repository)).find((pull) => pull.head === 'atb/task-1-fix');
    expect(first).toBeDefined();
    const again = await fixture.forge.openPullRequest({
      repository: fixture.repository,
      head: 'atb/task-1-fix',
      base: 'main',
      title: 'Fix the price rounding (retried)',
      body: 'retried after a restart',
      labels: ['atb'],
    });
    expect(again.number).toBe(first?.number);
    const all = await fixture.forge.listPullRequests(fixture.repository);
    expect(all.filter((pull) => pull.head === 'atb/task-1-fix')).toHaveLength(1);
  });

  it('lists pull requests newest first and answers undefined for an unknown number', async () => {
    const second = await fixture.forge.openPullRequest({
      repository: fixture.repository,
      head: 'atb/task-2-other',
      base: 'main',
      title: 'Another change',
      body: '',
    });
    const all = await fixture.forge.listPullRequests(fixture.repository);
    expect(all.map((pull) => pull.number)).toEqual([second.number, second.number - 1]);
    expect(await fixture.forge.getPullRequest(fixture.repository, 9999)).toBeUndefined();
  });
}
