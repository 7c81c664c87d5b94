/**
 * Given / when / then over a pure decider: the events so far are folded with `evolve` from
 * `initialState`, the command decided on that state, and the outcome compared with the events
 * expected, or with the error expected.
 *
 *   const spec = DeciderSpecification.for({ decide, evolve, initialState });
 *   spec.given(userMessaged()).when(postUserMessage()).then([]);
 */
export interface Decider<Command, Event, State> {
  decide(command: Command, state: State): Event[];
  evolve(state: State, event: Event): State;
  initialState: State;
}

type ErrorClass = abstract new (...args: never[]) => Error;

export interface Then<Event> {
  then(expected: Event[]): void;
  /** The decision throws an instance of `errorClass` whose fields include `fields`. */
  thenThrows(errorClass: ErrorClass, fields?: Record<string, unknown>): void;
}

export const DeciderSpecification = {
  for<Command, Event, State>(decider: Decider<Command, Event, State>) {
    return {
      given(...events: Event[]) {
        const state = events.reduce(decider.evolve, decider.initialState);
        return {
          when(command: Command): Then<Event> {
            const decide = () => decider.decide(command, state);
            return {
              then: (expected) => expect(decide()).toEqual(expected),
              thenThrows(errorClass, fields = {}) {
                let thrown: unknown;
                try {
                  decide();
                } catch (error) {
                  thrown = error;
                }
                expect(thrown).toBeInstanceOf(errorClass);
                expect(thrown).toMatchObject(fields);
              },
            };
          },
        };
      },
    };
  },
};
