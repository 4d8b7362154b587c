import type { SecurityFinding } from '../tasks/task.js';
import { protectedBy } from './path-policy.js';

interface LineRule {
  rule: string;
  severity: SecurityFinding['severity'];
  pattern: RegExp;
  message: string;
}

const SECRET_RULES: LineRule[] = [
  { rule: 'secret-private-key', severity: 'block', pattern: /-----BEGIN [A-Z ]*PRIVATE KEY-----/, message: 'a private key' },
  { rule: 'secret-aws-key', severity: 'block', pattern: /\bAKIA[0-9A-Z]{16}\b/, message: 'an AWS access key id' },
  { rule: 'secret-github-token', severity: 'block', pattern: /\bgh[pousr]_[A-Za-z0-9]{30,}\b/, message: 'a GitHub token' },
  { rule: 'secret-api-key', severity: 'block', pattern: /\bsk-(?:proj-|ant-)?[A-Za-z0-9_-]{20,}\b/, message: 'an API key' },
  {
    rule: 'secret-credentials-url',
    severity: 'block',
    pattern: /\b[a-z][a-z0-9+.-]*:\/\/[^:/\s"']+:[^@/\s"']{3,}@/i,
    message: 'a URL with a password in it',
  },
  {
    rule: 'secret-assignment',
    severity: 'block',
    pattern: /\b(?:password|passwd|secret|api[_-]?key|access[_-]?token)\s*[:=]\s*["'][^"'\s]{8,}["']/i,
    message: 'a hard-coded password or key',
  },
];

const DANGEROUS_RULES: LineRule[] = [
  { rule: 'shell-pipe-install', severity: 'block', pattern: /\b(?:curl|wget)\b[^|\n]*\|\s*(?:sudo\s+)?(?:ba|z)?sh\b/, message: 'downloads and runs a script (curl | sh)' },
  { rule: 'eval', severity: 'block', pattern: /(?<![\w.$])eval\s*\(/, message: 'eval()' },
  { rule: 'new-function', severity: 'block', pattern: /\bnew\s+Function\s*\(/, message: 'new Function()' },
  { rule: 'child-process-shell', severity: 'block', pattern: /\bshell\s*:\s*true\b/, message: 'a child process with shell: true' },
  { rule: 'child-process-exec', severity: 'block', pattern: /\b(?:execSync|exec)\s*\(\s*[`'"]/, message: "child_process exec() of a shell string" },
  { rule: 'child-process-import', severity: 'warn', pattern: /['"](?:node:)?child_process['"]/, message: 'imports child_process' },
  { rule: 'python-shell', severity: 'block', pattern: /\bsubprocess\.\w+\([^)]*shell\s*=\s*True/, message: 'subprocess with shell=True' },
  { rule: 'python-os-system', severity: 'block', pattern: /\bos\.(?:system|popen)\s*\(/, message: 'os.system()/os.popen()' },
  { rule: 'python-exec', severity: 'block', pattern: /(?<![\w.])exec\s*\(\s*(?:compile|open|input|request)/, message: 'exec() of dynamic input' },
  { rule: 'disable-tls', severity: 'warn', pattern: /rejectUnauthorized\s*:\s*false|verify\s*=\s*False|NODE_TLS_REJECT_UNAUTHORIZED/, message: 'turns off TLS verification' },
];

/** The lines a unified diff adds (`+`) or removes (`-`), per file (the new path). */
export function changedLines(diff: string, sign: '+' | '-'): Map<string, string[]> {
  const files = new Map<string, string[]>();
  let current: string[] | undefined;
  let oldPath = '';
  for (const line of diff.split('\n')) {
    if (line.startsWith('--- ')) {
      oldPath = line.slice(4).replace(/^a\//, '').trim();
      continue;
    }
    if (line.startsWith('+++ ')) {
      const newPath = line.slice(4).replace(/^b\//, '').trim();
      const path = newPath === '/dev/null' ? oldPath : newPath;
      current = files.get(path) ?? [];
      files.set(path, current);
      continue;
    }
    if (line.startsWith(sign) && current) current.push(line.slice(1));
  }
  for (const [path, lines] of files) if (lines.length === 0) files.delete(path);
  return files;
}

/** The lines a unified diff adds, per file. */
export function addedLines(diff: string): Map<string, string[]> {
  return changedLines(diff, '+');
}

const TEST_FILE = /(^|\/)(tests?|__tests__|spec)\/|\.(test|spec)\.[cm]?[jt]sx?$|(^|\/)test_[^/]*\.py$|_test\.py$/;
const ASSERTION = /\b(assert\w*|expect|should|self\.assert\w*)\s*[.(]/;

/**
 * Security checks on a task's diff before anything is committed: secrets, protected paths
 * (the path policy's `protectedBy`, with the task's `allowed_paths`) and dangerous patterns. `block` findings stop the task.
 */
export function checkDiff(diff: string, changedPaths: string[], allowedPaths: string[] = [], options: { allowCiPaths?: boolean } = {}): SecurityFinding[] {
  const findings: SecurityFinding[] = [];
  for (const path of changedPaths) {
    const refusal = protectedBy(path, allowedPaths, options);
    if (refusal) findings.push({ rule: 'protected-path', severity: 'block', path, message: refusal.message });
  }
  for (const [path, lines] of addedLines(diff)) {
    for (const line of lines) {
      for (const rule of [...SECRET_RULES, ...DANGEROUS_RULES]) {
        if (rule.pattern.test(line)) {
          findings.push({
            rule: rule.rule,
            severity: rule.severity,
            path,
            line: rule.rule.startsWith('secret') ? line.trim().slice(0, 12) + '…' : line.trim().slice(0, 200),
            message: `adds ${rule.message}`,
          });
        }
      }
    }
  }
  // Weakened tests: assertions removed from test files (a warning for the reviewer).
  for (const [path, lines] of changedLines(diff, '-')) {
    if (!TEST_FILE.test(path)) continue;
    const removed = lines.filter((line) => ASSERTION.test(line)).length;
    const added = (addedLines(diff).get(path) ?? []).filter((line) => ASSERTION.test(line)).length;
    if (removed > added) {
      findings.push({
        rule: 'test-weakened',
        severity: 'warn',
        path,
        message: `removes ${removed - added} more assertion${removed - added === 1 ? '' : 's'} from a test file than it adds`,
      });
    }
  }
  return findings;
}
