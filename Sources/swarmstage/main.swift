import SwarmstageCLI

await SwarmstageCommand.runAndExit()
