// A handlers module: its default export maps job types to handlers. `hotq-worker --handlers` loads it.
import { NonRetryableError, type Handlers } from '@hotq/worker';

const handlers: Handlers = {
  // {"type": "shout", "params": {"text": "hello"}} gives the result {"text": "HELLO!"}
  async shout(job, ctx) {
    const { text } = job.params;
    if (typeof text !== 'string') {
      // Retrying cannot help: fail at once instead of after three attempts.
      throw new NonRetryableError('params.text must be a string', { code: 'invalid_params' });
    }
    await ctx.progress(50);
    return { text: `${text.toUpperCase()}!` };
  },
};

export default handlers;
