import { ConfigError } from '@atb/service-kit';
import { describe, expect, it } from 'vitest';
import { readConfig } from './config.js';
import { createForge, createSandbox } from './runtime-selection.js';

describe('coding-agent config', () => {
  it('has working defaults (the documented names and values)', () => {
    const config = readConfig({});
    expect(config).toMatchObject({
      API_PORT: 8002,
      WORKSPACE_BASE_PATH: '/tmp/coding-agent-workspaces',
      GIT_USER_NAME: 'Coding AI Agent',
      WORKFLOW_TIMEOUT: 1800,
      TESTING_TIMEOUT: 600,
      MAX_CONCURRENT_TASKS: 3,
      CLEANUP_WORKSPACES: true,
      ENABLE_SANDBOXING: true,
      MAX_WORKSPACE_SIZE: 1024 ** 3,
    });
    expect(config.ALLOWED_FILE_TYPES).toEqual(expect.arrayContaining(['.py', '.md', '.ts', '.js']));
  });

  it('reads sizes and lists', () => {
    const config = readConfig({ MAX_WORKSPACE_SIZE: '512MB', ALLOWED_REPOSITORIES: 'a/b, c/d', ALLOWED_FILE_TYPES: '.py,.md' });
    expect(config.MAX_WORKSPACE_SIZE).toBe(512 * 1024 ** 2);
    expect(config.ALLOWED_REPOSITORIES).toEqual(['a/b', 'c/d']);
    expect(config.ALLOWED_FILE_TYPES).toEqual(['.py', '.md']);
  });

  it('names each bad variable', () => {
    try {
      readConfig({ MAX_WORKSPACE_SIZE: 'lots', MAX_CONCURRENT_TASKS: '0', SANDBOX_RUNTIME: 'vm', DOCKER_HOST: 'ftp://x' });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).problems.map((problem) => problem.variable).sort()).toEqual([
        'DOCKER_HOST',
        'MAX_CONCURRENT_TASKS',
        'MAX_WORKSPACE_SIZE',
        'SANDBOX_RUNTIME',
      ]);
    }
  });

  it('chooses the sandbox and the forge', () => {
    expect(createSandbox(readConfig({})).kind).toBe('bubblewrap');
    expect(createSandbox(readConfig({ ENABLE_SANDBOXING: 'false' })).kind).toBe('none');
    expect(createSandbox(readConfig({ SANDBOX_RUNTIME: 'container', DOCKER_HOST: 'unix:///tmp/nothing.sock' })).kind).toBe('container');
    expect(createForge(readConfig({})).kind).toBe('local');
    expect(() => createForge(readConfig({ FORGE: 'github' }))).toThrow(/GITHUB_TOKEN/);
    expect(createForge(readConfig({ FORGE: 'github', GITHUB_TOKEN: 'token' })).kind).toBe('github');
  });
});
