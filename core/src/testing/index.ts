/** Test helpers for plugin authors (`@aihub/core/testing`). */
export { startTestGateway, type TestGateway, type TestGatewayOptions } from './startTestGateway';
