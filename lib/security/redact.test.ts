import { describe, expect, it } from "vitest";
import { environmentSecrets, redactSecrets, redactUrlCredentials } from "./redact.js";

describe("redactUrlCredentials", () => {
  it("hides passwords and tokens in URLs, keeps the user, host and path", () => {
    expect(redactUrlCredentials("--queue redis://:s3cret@10.0.0.2:6379/1?queue=q")).toBe(
      "--queue redis://:***@10.0.0.2:6379/1?queue=q",
    );
    expect(redactUrlCredentials("at http://user:pa:ss@host/v1 failed")).toBe("at http://user:***@host/v1 failed");
    expect(redactUrlCredentials("'rediss://default:p@ss@redis.internal'")).toBe(
      "'rediss://default:***@redis.internal'",
    );
    expect(redactUrlCredentials("https://ghp_token123@github.com/x")).toBe("https://***@github.com/x");
  });

  it("leaves URLs without credentials and e-mail addresses alone", () => {
    const text = "http://127.0.0.1:8000/v1 and mail me@example.org";
    expect(redactUrlCredentials(text)).toBe(text);
  });
});

describe("redactSecrets", () => {
  const env = {
    OPENAI_API_KEY: "sk-abcdef123456",
    POLYGLOT_QUEUE_URL: "redis://:hunter2hunter@h:1",
    HOME: "/root",
    SHORT_KEY: "abc",
  };

  it("hides the environment's keys and URL passwords wherever they appear, and token parameters", () => {
    expect(redactSecrets("Bearer sk-abcdef123456 then hunter2hunter then ?token=xyz&a=1", env)).toBe(
      "Bearer *** then *** then ?token=***&a=1",
    );
  });

  it("does not hide ordinary values or short ones", () => {
    expect(environmentSecrets(env)).toEqual(["sk-abcdef123456", "hunter2hunter"]);
    expect(redactSecrets("/root abc", env)).toBe("/root abc");
  });
});
