from kestra_stream.cli import main

main()
