import { executeCommandRequestSchema, executeCommandResponseSchema, MAX_INTENT_BYTES } from '@atb/contracts';
import { type App, PayloadTooLargeError } from '@atb/service-kit';
import type { IdempotentCommands } from '../store/idempotent-commands.js';

/**
 * `POST /execute-docker-command`. Gateway decisions (including refusals)
 * are 200 with `overall_status`; malformed requests are 4xx naming the field.
 */
export function registerExecuteRoute(app: App, commands: IdempotentCommands): void {
  app.post(
    '/execute-docker-command',
    {
      schema: {
        tags: ['gateway'],
        summary: 'Turn an intent into one allowlisted Docker operation and execute it (or dry-run it)',
        description: 'Requires Authorization: Bearer <token> (AI_COMMAND_GATEWAY_TOKEN or <DATA_DIR>/api-token).',
        body: executeCommandRequestSchema,
        response: { 200: executeCommandResponseSchema },
      },
    },
    async (request) => {
      const intentBytes = Buffer.byteLength(request.body.action_request.intent, 'utf8');
      if (intentBytes > MAX_INTENT_BYTES) {
        throw new PayloadTooLargeError(`intent is ${intentBytes} bytes; at most ${MAX_INTENT_BYTES} are accepted`, {
          field: 'body.action_request.intent',
        });
      }
      return commands.execute(request.body, request.id);
    },
  );
}
