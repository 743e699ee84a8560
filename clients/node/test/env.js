// env.js -- the harness's variables (tests/common/kit_env via
// tests/kit/node.sh). A missing one fails the tests: never skipped.
export function need(name) {
  const v = process.env[name];
  if (!v) throw new Error(`${name} not set: run through ctest (it_test_kit_node)`);
  return v;
}
