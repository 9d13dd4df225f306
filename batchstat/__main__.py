from batchstat.cli import main

main()
