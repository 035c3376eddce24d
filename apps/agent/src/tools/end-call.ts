import { z } from 'zod';
import { defineCallTool } from './define.js';

/** Ends the call: the model is told to say goodbye, and the line is hung up once that has played. */
export const endCall = defineCallTool({
  name: 'end_call',
  description:
    'Hang up the phone call. Call this when the caller says goodbye or clearly has nothing more to ask, ' +
    'or when the conversation cannot usefully continue. Do not call it if the caller asks to hold or to be transferred. ' +
    'After calling it, say one short goodbye; the line is disconnected when you finish speaking.',
  parameters: z.object({
    reason: z
      .string()
      .max(200)
      .optional()
      .describe('Why the call is ending, in a few words, for the call record.'),
  }),
  async execute({ reason }, { runtime }) {
    runtime.endCallAfterReply(reason ?? 'agent ended the call');
    return 'The call will end after your next sentence. Say a short, warm goodbye now and nothing else.';
  },
});
