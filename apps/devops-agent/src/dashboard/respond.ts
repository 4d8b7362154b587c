import type { FastifyReply } from 'fastify';
import type { SafeHtml } from './html.js';

/**
 * Headers of every dashboard response: scripts, styles and requests only from this origin, no
 * inline code, no framing, no referrer. Even if an escaping bug let markup through, the browser
 * would not run it.
 */
export const DASHBOARD_CONTENT_SECURITY_POLICY =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

export function secure(reply: FastifyReply, contentType: string): FastifyReply {
  return reply
    .header('content-type', contentType)
    .header('content-security-policy', DASHBOARD_CONTENT_SECURITY_POLICY)
    .header('x-content-type-options', 'nosniff')
    .header('x-frame-options', 'DENY')
    .header('referrer-policy', 'no-referrer')
    .header('cache-control', 'no-store');
}

export const sendHtml = (reply: FastifyReply, body: SafeHtml, status = 200) =>
  secure(reply, 'text/html; charset=utf-8').status(status).send(body.value);

