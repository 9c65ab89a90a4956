-- A drop's Discord embed is edited through ONE outbox row ('embed:{listing}'), re-armed by
-- every change instead of one job per sale (issue 11.5: 300 sales were 300 edits). `rearmed`
-- counts the re-arms, so a delivery that raced one runs again with the newer state.
ALTER TABLE outbox ADD COLUMN rearmed INTEGER NOT NULL DEFAULT 0;
