import { describe, expectTypeOf, test } from "vitest";
import type { Actor, Message, Pipeline } from "../src/index.js";
import { actor, GenericActor, group, pipeline, StubBroker } from "../src/index.js";

const broker = new StubBroker();
const add = actor((a: number, b: number) => a + b, { broker, actorName: "add" });
const fetchPage = actor(
  async (url: string): Promise<{ words: number }> => ({ words: url.length }),
  {
    broker,
    actorName: "fetchPage",
  },
);
const noArgs = actor(() => "x", { broker, actorName: "noArgs" });

describe("actor types", () => {
  test("an actor's type carries its parameters and awaited return type", () => {
    expectTypeOf(add).toEqualTypeOf<Actor<[a: number, b: number], number>>();
    expectTypeOf(fetchPage).toEqualTypeOf<Actor<[url: string], { words: number }>>();
  });

  test("send is checked against the function's parameters", () => {
    expectTypeOf(add.send).parameters.toEqualTypeOf<[a: number, b: number]>();
    // @ts-expect-error a string is not a number
    void add.send("1", 2);
    // @ts-expect-error one argument is missing
    void add.send(1);
    // @ts-expect-error args must match too
    void add.sendWithOptions({ args: ["1", 2] });
    // @ts-expect-error args are required when the actor takes parameters
    void add.sendWithOptions({ delay: 10 });
    void noArgs.sendWithOptions({ delay: 10 });
    // @ts-expect-error an unknown option name is caught
    void add.sendWithOptions({ args: [1, 2], maxRetry: 3 });
  });

  test("getResult() resolves to the actor's return type", () => {
    expectTypeOf(add.send(1, 2)).resolves.toEqualTypeOf<Message<number>>();
    expectTypeOf<Message<number>["getResult"]>().returns.resolves.toEqualTypeOf<number>();
    expectTypeOf(fetchPage.message("u").getResult()).resolves.toEqualTypeOf<{ words: number }>();
  });

  test("message() takes a prefix of the parameters: a pipeline step gets the rest from the previous result", () => {
    expectTypeOf(add.message(1, 2)).toEqualTypeOf<Message<number, []>>();
    expectTypeOf(add.message(1)).toEqualTypeOf<Message<number, [b: number]>>();
    expectTypeOf(add.message()).toEqualTypeOf<Message<number, [a: number, b: number]>>();
    expectTypeOf(add.messageWithOptions({ args: [1] })).toEqualTypeOf<
      Message<number, [b: number]>
    >();
    // pipeIgnore: it receives nothing, so nothing is checked.
    expectTypeOf(add.messageWithOptions({ args: [1, 2], pipeIgnore: true })).toEqualTypeOf<
      Message<number, unknown[]>
    >();
    // Any Message is still a Message<R>: sending, results and groups take it as before.
    expectTypeOf(add.message(1)).toMatchTypeOf<Message<number>>();
    // @ts-expect-error too many arguments
    add.message(1, 2, 3);
    // @ts-expect-error still type-checked where given
    add.message("1");
  });

  test("calling the actor runs it and resolves to its return type", () => {
    expectTypeOf(add(1, 2)).resolves.toEqualTypeOf<number>();
  });

  test("class-based actors are typed by perform()", () => {
    class Resize extends GenericActor {
      perform(path: string, width: number): string {
        return `${path}@${width}`;
      }
    }
    expectTypeOf(Resize.send("a", 1)).resolves.toEqualTypeOf<Message<string>>();
    expectTypeOf(Resize.message("a", 1).getResult()).resolves.toEqualTypeOf<string>();
    // @ts-expect-error width must be a number
    void Resize.send("a", "wide");
  });

  test("groups and pipelines carry their members' result types", () => {
    const g = group([add.message(1, 2), fetchPage.message("u")], { broker });
    expectTypeOf(g.getResults()).resolves.toEqualTypeOf<[number, { words: number }]>();
    const p = pipeline([add.message(1, 2), fetchPage.message("u")], { broker });
    expectTypeOf(p.getResult()).resolves.toEqualTypeOf<{ words: number }>();
    const nested = pipeline(
      [add.message(1, 2), group([add.message(1), add.message(2)], { broker })],
      { broker },
    );
    expectTypeOf(nested.getResult()).resolves.toEqualTypeOf<[number, number]>();
  });
});

const download = actor(async (url: string): Promise<string> => url, {
  broker,
  actorName: "download",
});
const upload = actor((data: Uint8Array): number => data.length, { broker, actorName: "upload" });
const save = actor((path: string, body: string): boolean => path.length + body.length > 0, {
  broker,
  actorName: "save",
});
const total = actor((counts: number[]): number => counts.length, { broker, actorName: "total" });

describe("pipeline types: each step's result must fit the next step's last parameter", () => {
  test("a result that fits compiles; one that does not is an error naming both", () => {
    pipeline([download.message("u"), save.message("path")], { broker });
    // @ts-expect-error a string result cannot be upload's Uint8Array parameter
    pipeline([download.message("u"), upload.message()], { broker });
    // @ts-expect-error the third step's number is checked too, not only the second
    pipeline([add.message(1, 2), add.message(3), save.message("path")], { broker });
  });

  test("a step must lack exactly the one parameter the result fills", () => {
    // @ts-expect-error add.message() lacks two parameters: the result fills only a
    pipeline([add.message(1, 2), add.message()], { broker });
    // A step with all its arguments ignores the result (JavaScript drops the extra argument).
    pipeline([download.message("u"), add.message(1, 2)], { broker });
  });

  test("pipeIgnore steps are not checked", () => {
    pipeline([download.message("u"), upload.messageWithOptions({ pipeIgnore: true, args: [] })], {
      broker,
    });
    // @ts-expect-error without pipeIgnore the same step is checked
    pipeline([download.message("u"), upload.messageWithOptions({ args: [] })], { broker });
  });

  test("groups and nested pipelines are checked as steps and as previous steps", () => {
    // A group passes the list of its results.
    pipeline([group([add.message(1, 1), add.message(2, 2)], { broker }), total.message()], {
      broker,
    });
    // @ts-expect-error the list of a group's results is not a string
    pipeline([group([add.message(1, 1)], { broker }), save.message("path")], { broker });
    // Every member of a group step receives the previous result.
    pipeline([add.message(1, 2), group([add.message(1), add.message(2)], { broker })], { broker });
    // @ts-expect-error one member of the group cannot take a number
    pipeline([add.message(1, 2), group([add.message(1), upload.message()], { broker })], {
      broker,
    });
    const inner = pipeline([add.message(10), add.message(1)], { broker });
    expectTypeOf(inner).toEqualTypeOf<Pipeline<number, [b: number]>>();
    pipeline([add.message(1, 2), inner], { broker });
    // @ts-expect-error the nested pipeline's first step takes a number, not a string
    pipeline([download.message("u"), inner], { broker });
  });

  test("class-based actors are checked too; a list of unknown length is not", () => {
    class Shout extends GenericActor {
      perform(text: string): string {
        return text.toUpperCase();
      }
    }
    pipeline([download.message("u"), Shout.message()], { broker });
    // @ts-expect-error Shout takes a string, add gives a number
    pipeline([add.message(1, 2), Shout.message()], { broker });
    const steps: Message[] = [add.message(1, 2), upload.message()];
    pipeline(steps, { broker });
    // A previous step whose result type is not known (a plain Message) is not checked either.
    const plain: Message = add.message(1, 2);
    pipeline([plain, upload.message()], { broker });
  });
});
