
#compdef batchstat

_batchstat_completion() {
  eval $(env _TYPER_COMPLETE_ARGS="${words[1,$CURRENT]}" _BATCHSTAT_COMPLETE=complete_zsh batchstat)
}

compdef _batchstat_completion batchstat

