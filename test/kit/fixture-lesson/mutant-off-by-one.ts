// Wrong answer: double adds one too many
