interface Asker {
  resolve(found: boolean): void;
  reject(error: unknown): void;
}

/**
 * Answers many concurrent "is this id in the table?" questions with one query at a time: the ids
 * asked while a query is under way gather and leave together in the next one, and an idle lookup
 * sends a question at once. A question never joins a query already sent: that query may have
 * started before the question was asked, and its answer could then predate a change the asker
 * already knows of.
 */
export class CoalescedLookup {
  private asked = new Map<string, Asker[]>();
  private inFlight = false;

  constructor(private readonly lookup: (ids: readonly string[]) => Promise<ReadonlySet<string>>) {}

  has(id: string): Promise<boolean> {
    return new Promise<boolean>((resolve, reject) => {
      const askers = this.asked.get(id);
      if (askers) askers.push({ resolve, reject });
      else this.asked.set(id, [{ resolve, reject }]);
      this.send();
    });
  }

  private send(): void {
    if (this.inFlight || this.asked.size === 0) return;
    const asked = this.asked;
    this.asked = new Map();
    this.inFlight = true;
    const everyone = (answer: (asker: Asker, id: string) => void): void =>
      asked.forEach((askers, id) => askers.forEach((asker) => answer(asker, id)));
    this.lookup([...asked.keys()])
      .then(
        (found) => everyone((asker, id) => asker.resolve(found.has(id))),
        (error: unknown) => everyone((asker) => asker.reject(error)),
      )
      .finally(() => {
        this.inFlight = false;
        this.send();
      });
  }
}
