/** The bench's handlers module for `hotq-worker --handlers`: one no-op job type. */
export default {
  noop: async (): Promise<null> => null,
};
