"""What the guarantee tests covered (requests tried, cells of a matrix, …), printed in the
summary at the end of every run, so that `make test` shows it without -s."""

LINES: list[str] = []


def covered(line: str) -> None:
    LINES.append(line)
    print(line)
