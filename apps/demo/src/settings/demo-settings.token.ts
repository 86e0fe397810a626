/** Injection token of the `DemoSettings` the app was started with. */
export const DEMO_SETTINGS = Symbol('DEMO_SETTINGS');
