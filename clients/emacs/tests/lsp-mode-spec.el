;;; lsp-mode-spec.el --- Cairn as an lsp-mode add-on beside pylsp  -*- lexical-binding: t; -*-

;;; Commentary:

;; lsp-mode runs Cairn beside the buffer's Python server (pylsp, with pyflakes) through
;; `cairn-lsp-setup' (`:add-on? t').  Code actions of both servers come in one list; lsp-mode 8
;; cannot show documents, so an answer comes in a window/showMessage (`cairn-result' opens the
;; transcript).

;;; Code:

(require 'scenario)
(require 'lsp-mode)

(setenv "CAIRN_EMACS_CLIENT" (concat "lsp-mode " (cairn-test-library-version "lsp-mode")))
(setq lsp-session-file (expand-file-name "lsp-session" temporary-file-directory)
      lsp-keep-workspace-alive nil
      lsp-restart 'ignore
      lsp-enable-snippet nil
      ;; mode-line and header-line decorations: not what is tested, and not loaded in batch
      lsp-modeline-code-actions-enable nil
      lsp-modeline-diagnostics-enable nil
      lsp-modeline-workspace-status-enable nil
      lsp-headerline-breadcrumb-enable nil
      lsp-lens-enable nil
      ;; lsp-mode's pylsp defaults to flake8; pyflakes comes with python-lsp-server[pyflakes]
      lsp-pylsp-plugins-pyflakes-enabled t
      lsp-pylsp-plugins-flake8-enabled nil)
(transient-mark-mode 1)
;; pylsp (python-lsp-server, from the dev extra) lives beside this interpreter
(let ((bin (file-name-directory (cairn-test-python))))
  (add-to-list 'exec-path bin)
  (setenv "PATH" (concat bin path-separator (getenv "PATH"))))

(defun cairn-lsp-spec-workspaces (buffer)
  "The ids of BUFFER's initialized lsp-mode servers."
  (with-current-buffer buffer
    (mapcar (lambda (workspace) (lsp--client-server-id (lsp--workspace-client workspace)))
            (seq-filter (lambda (workspace) (eq (lsp--workspace-status workspace) 'initialized))
                        (lsp-workspaces)))))

(defun cairn-lsp-spec-connect (buffer)
  "M-x lsp in BUFFER; a file outside any known project is imported with its folder as root
(the user presses `i' at lsp-mode's question).  Non-nil once pylsp and Cairn are up."
  (cairn-test-with-answer
   'read-key (lambda (&rest _) ?i)
   (lambda () (with-current-buffer buffer (lsp))))
  (cairn-wait (lambda () (let ((ids (cairn-lsp-spec-workspaces buffer)))
                           (and (memq 'pylsp ids) (memq 'cairn ids))))
              60 "pylsp and Cairn to start"))

(defun cairn-lsp-spec-code-action (buffer beg end kind)
  "M-x lsp-execute-code-action over the region BEG..END of BUFFER, picking the action of KIND."
  (with-current-buffer buffer
    (goto-char beg)
    (if (= beg end) (deactivate-mark) (set-mark beg) (goto-char end) (activate-mark))
    (let ((action (seq-find (lambda (action) (equal (lsp:code-action-kind? action) kind))
                            (lsp-code-actions-at-point))))
      (should action)
      (lsp-execute-code-action action))
    (deactivate-mark)))

(defun cairn-lsp-spec-shown (text)
  "TEXT shown in the echo area: lsp-mode's window/showMessage, a line about the run (\"Cairn
finished\"...) then the answer."
  (cairn-test-message-matching (concat "LSP :: Cairn[^\n]*\n\n" (regexp-quote text))))

(defun cairn-lsp-spec-shutdown ()
  "M-x lsp-workspace-shutdown for each Cairn server; their processes."
  (let ((workspaces (seq-filter (lambda (workspace)
                                  (eq (lsp--client-server-id (lsp--workspace-client workspace)) 'cairn))
                                (lsp--session-workspaces (lsp-session)))))
    (mapcar (lambda (workspace)
              (let ((process (lsp--workspace-cmd-proc workspace)))
                (cairn-test-watch-deletion process (lambda () (lsp-workspace-shutdown workspace)))
                process))
            workspaces)))

(cairn-lsp-setup)
(cairn-scenario-setup (list :connect #'cairn-lsp-spec-connect
                            :code-action #'cairn-lsp-spec-code-action
                            :shown #'cairn-lsp-spec-shown
                            ;; RET on the empty prompt: lsp-mode answers {"title": ""}.  (C-g
                            ;; there sends no answer, as in eglot, but a quit out of a process
                            ;; filter ends a batch Emacs.)
                            :dismiss (lambda () "")
                            :shutdown #'cairn-lsp-spec-shutdown
                            ;; lsp-mode waits 0.5 s for the `shutdown' answer, sends `exit' and
                            ;; kills the process at once: Cairn can only answer in time
                            :ended-cleanly (lambda (_process)
                                             (not (cairn-test-message-matching
                                                   "Timeout while sending shutdown request")))
                            :request-timeout lsp-response-timeout))
(lsp-workspace-folders-add cairn-scenario-root) ; the project, imported once by the user

(defun cairn-lsp-spec-fix-beside-pylsp ()
  "pyflakes (through pylsp) reports an undefined name; Cairn's \"Fix\" code action for that
diagnostic, in the same list as pylsp's actions, edits the buffer."
  (with-current-buffer cairn-scenario-buffer
    (goto-char (+ (cairn-test-point-at "a + c") 4))
    (deactivate-mark)
    (let ((line (1- (line-number-at-pos))))
      ;; pyflakes' diagnostic for the text as it is now (the docstring moved it down a line)
      (ert-info ((lambda () (format "line %d, diagnostics %S" line (lsp--get-buffer-diagnostics))) :prefix "pyflakes: ")
      (cairn-wait (lambda ()
                    (seq-find (lambda (d)
                                (and (string-match-p "undefined name 'c'" (lsp:diagnostic-message d))
                                     (equal (lsp:diagnostic-source? d) "pyflakes")
                                     (= line (lsp:position-line (lsp:range-start (lsp:diagnostic-range d))))))
                              (lsp--get-buffer-diagnostics)))
                  60 "pyflakes' diagnostic")))
    (let* ((actions (lsp-code-actions-at-point))
           (fix (seq-find (lambda (action) (string-prefix-p "Cairn: Fix" (lsp:code-action-title action)))
                          actions)))
      (ert-info ((format "%S" (mapcar #'lsp:code-action-title actions)) :prefix "actions: ")
        (should fix))
      (lsp-execute-code-action fix))
    (cairn-wait (lambda () (string-match-p "return a \\+ b" (cairn-test-buffer-text cairn-scenario-buffer)))
                60 "the fix in the buffer")
    (should (equal (cairn-test-buffer-text)
                   "def add(a, b):\n    \"\"\"Add a and c.\"\"\"\n    return a + b\n"))
    (cairn-scenario-wait-shown "Replaced c with b.")))

(defun cairn-lsp-spec-result-opens-the-transcript ()
  "M-x cairn-result: the latest run's transcript opens in a window."
  (with-current-buffer cairn-scenario-buffer
    (cairn-result))
  (let ((transcript (cairn-wait (lambda ()
                                  (seq-find (lambda (buffer) (get-buffer-window buffer t))
                                            (cairn-test-transcripts)))
                                30 "the transcript")))
    (should (string-match-p "## Answer\n\nReplaced c with b." (cairn-test-buffer-text transcript)))))

(cairn-scenario-define-tests cairn-lsp cairn-lsp-spec-fix-beside-pylsp cairn-lsp-spec-result-opens-the-transcript)

;;; lsp-mode-spec.el ends here
