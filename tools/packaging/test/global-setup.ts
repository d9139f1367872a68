// One throwaway redis-server for this workspace's test run (or REDIS_URL when set).
export { setup } from '@hotq/test-harness';
