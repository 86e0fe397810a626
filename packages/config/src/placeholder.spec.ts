import { placeholder } from './index.js';
test('esm works', () => { expect(placeholder).toBe(1); });
