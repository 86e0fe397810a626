export interface Target {
  op: '>=' | '<=';
  value: number;
  margin: number;
}
export function median(values: number[]): number;
export function summary(values: number[]): { min: number; median: number; max: number; spread: number };
export function verdict(values: number[], target: Target | undefined): 'met' | 'missed' | 'not resolved' | 'reference';
export function ratioTarget(op: '>=' | '<=', value: number): Target;
export function fixed(value: number, digits?: number, signed?: boolean): string;
export function spreadText(values: number[], format?: (value: number) => string): string;
