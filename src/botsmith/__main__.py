from botsmith.cli import main

main()
