import { describe, expectTypeOf, test } from "vitest";
import type { Actor, Message } from "../src/index.js";
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
    expectTypeOf(add.message(1)).toEqualTypeOf<Message<number>>();
    expectTypeOf(add.message()).toEqualTypeOf<Message<number>>();
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
