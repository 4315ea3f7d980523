/** First byte past the module's static data: the allocator in TypeScript starts here. */
export function heap_base(): usize {
  return __heap_base;
}
