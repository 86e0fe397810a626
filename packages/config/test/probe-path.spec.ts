import { checkProbePath } from '../src/index.js';

describe('checkProbePath', () => {
  test.each(['/up', '/healthz', '/up/', '/health/live', '/%75p', '/a;b', "/a-b_c.d~e!$&'()*+,=:@"])(
    'accepts %j',
    (path) => {
      expect(checkProbePath(path)).toBeUndefined();
    },
  );

  test.each([
    ['', 'is empty; write a path such as "/up"'],
    ['up', 'is not an absolute path; write "/up"'],
    ['health/live', 'is not an absolute path; write "/health/live"'],
    ['/up?full=1', 'has a query ("?"); write the path alone: "/up"'],
    ['/up#x', 'has a fragment ("#"); write the path alone: "/up"'],
    [' /up', 'has whitespace around it; write "/up"'],
    ['/up\n', 'has whitespace around it; write "/up"'],
    ['/u p', 'contains whitespace; a request path carries none (write "%20" if the path really has a space)'],
    ['http://localhost:3000/up', 'is a URL; write the path alone: "/up"'],
    ['https://example.com', 'is a URL; write the path alone: "/"'],
    ['//up', 'starts with "//", which a client reads as a host; write "/up"'],
    ['/health//live', 'has an empty segment ("//"); write "/health/live"'],
    ['/up/../admin', 'has a "." or ".." segment, which clients resolve before sending; write the resolved path'],
    ['/./up', 'has a "." or ".." segment, which clients resolve before sending; write the resolved path'],
    ['/up/.', 'has a "." or ".." segment, which clients resolve before sending; write the resolved path'],
    [
      '/gesundheit/prüfung',
      `has the character 'ü', which a client sends percent-encoded; write "/gesundheit/pr%C3%BCfung"`,
    ],
    ['/a\\b', `has the character '\\', which a request path cannot carry unencoded; write "%5C" in its place`],
    ['/a"b', `has the character '"', which a request path cannot carry unencoded; write "%22" in its place`],
    ['/a\u0000', `has the character '\\x00', which a request path cannot carry unencoded; write "%00" in its place`],
    ['/up%', 'has a "%" that does not start an escape ("%2F"); write "%25" for a literal "%"'],
    ['/up%zz', 'has a "%" that does not start an escape ("%2F"); write "%25" for a literal "%"'],
  ])('refuses %j: %s', (path, message) => {
    expect(checkProbePath(path)).toBe(message);
  });
});
