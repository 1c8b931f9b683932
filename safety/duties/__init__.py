"""The 一岗双责 duty list (责任清单): how often each listed duty is due (frequency), what the bot holds as
its evidence (evidence), each person's month of duties beside that evidence (record) and the export's
sheet of it (sheet)."""
